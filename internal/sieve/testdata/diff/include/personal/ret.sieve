require ["include", "fileinto"];
if header :contains "subject" "hello" { fileinto "early"; return; }
fileinto "late";
