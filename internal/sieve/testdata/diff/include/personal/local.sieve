require ["fileinto", "variables"];
fileinto "local-${x}";
