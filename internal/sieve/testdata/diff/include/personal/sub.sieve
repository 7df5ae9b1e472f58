require ["fileinto", "include", "variables"];
global "box";
if string :is "${box}" "" { set "box" "sub-default"; }
fileinto "${box}";
