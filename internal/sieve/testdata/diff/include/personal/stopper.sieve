require ["fileinto"];
fileinto "stopper";
stop;
