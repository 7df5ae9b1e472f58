require ["fileinto","envelope","imap4flags","variables","body","relational","comparator-i;ascii-numeric","regex"];
if header :contains "subject" ["offer 0", "deal 0"] { fileinto "Promo0"; stop; }
if address :domain :is ["from","sender"] "list1.example.org" { fileinto "Lists/1"; }
if envelope :localpart :matches "to" "team2-*" { addflag "$Team2"; fileinto "Team2"; }
if allof (size :over 103K, header :regex "x-mailer" "^bulk3") { discard; }
if anyof (header :value "gt" :comparator "i;ascii-numeric" "x-priority" "54", body :contains "unsubscribe-4") { fileinto "Bulk"; }
if header :contains "subject" ["offer 5", "deal 5"] { fileinto "Promo5"; stop; }
if address :domain :is ["from","sender"] "list6.example.org" { fileinto "Lists/6"; }
if envelope :localpart :matches "to" "team7-*" { addflag "$Team7"; fileinto "Team7"; }
if allof (size :over 108K, header :regex "x-mailer" "^bulk8") { discard; }
if anyof (header :value "gt" :comparator "i;ascii-numeric" "x-priority" "59", body :contains "unsubscribe-9") { fileinto "Bulk"; }
if header :contains "subject" ["offer 10", "deal 10"] { fileinto "Promo10"; stop; }
if address :domain :is ["from","sender"] "list11.example.org" { fileinto "Lists/11"; }
if envelope :localpart :matches "to" "team12-*" { addflag "$Team12"; fileinto "Team12"; }
if allof (size :over 113K, header :regex "x-mailer" "^bulk13") { discard; }
if anyof (header :value "gt" :comparator "i;ascii-numeric" "x-priority" "64", body :contains "unsubscribe-14") { fileinto "Bulk"; }
if header :contains "subject" ["offer 15", "deal 15"] { fileinto "Promo15"; stop; }
if address :domain :is ["from","sender"] "list16.example.org" { fileinto "Lists/16"; }
if envelope :localpart :matches "to" "team17-*" { addflag "$Team17"; fileinto "Team17"; }
if allof (size :over 118K, header :regex "x-mailer" "^bulk18") { discard; }
if anyof (header :value "gt" :comparator "i;ascii-numeric" "x-priority" "69", body :contains "unsubscribe-19") { fileinto "Bulk"; }
if header :contains "subject" ["offer 20", "deal 20"] { fileinto "Promo20"; stop; }
if address :domain :is ["from","sender"] "list21.example.org" { fileinto "Lists/21"; }
if envelope :localpart :matches "to" "team22-*" { addflag "$Team22"; fileinto "Team22"; }
if allof (size :over 123K, header :regex "x-mailer" "^bulk23") { discard; }
if anyof (header :value "gt" :comparator "i;ascii-numeric" "x-priority" "74", body :contains "unsubscribe-24") { fileinto "Bulk"; }
if header :contains "subject" ["offer 25", "deal 25"] { fileinto "Promo25"; stop; }
if address :domain :is ["from","sender"] "list26.example.org" { fileinto "Lists/26"; }
if envelope :localpart :matches "to" "team27-*" { addflag "$Team27"; fileinto "Team27"; }
if allof (size :over 128K, header :regex "x-mailer" "^bulk28") { discard; }
if anyof (header :value "gt" :comparator "i;ascii-numeric" "x-priority" "79", body :contains "unsubscribe-29") { fileinto "Bulk"; }
if header :contains "subject" ["offer 30", "deal 30"] { fileinto "Promo30"; stop; }
if address :domain :is ["from","sender"] "list31.example.org" { fileinto "Lists/31"; }
if envelope :localpart :matches "to" "team32-*" { addflag "$Team32"; fileinto "Team32"; }
if allof (size :over 133K, header :regex "x-mailer" "^bulk33") { discard; }
if anyof (header :value "gt" :comparator "i;ascii-numeric" "x-priority" "84", body :contains "unsubscribe-34") { fileinto "Bulk"; }
if header :contains "subject" ["offer 35", "deal 35"] { fileinto "Promo35"; stop; }
if address :domain :is ["from","sender"] "list36.example.org" { fileinto "Lists/36"; }
if envelope :localpart :matches "to" "team37-*" { addflag "$Team37"; fileinto "Team37"; }
if allof (size :over 138K, header :regex "x-mailer" "^bulk38") { discard; }
if anyof (header :value "gt" :comparator "i;ascii-numeric" "x-priority" "89", body :contains "unsubscribe-39") { fileinto "Bulk"; }
if header :contains "subject" ["offer 40", "deal 40"] { fileinto "Promo40"; stop; }
if address :domain :is ["from","sender"] "list41.example.org" { fileinto "Lists/41"; }
if envelope :localpart :matches "to" "team42-*" { addflag "$Team42"; fileinto "Team42"; }
if allof (size :over 143K, header :regex "x-mailer" "^bulk43") { discard; }
if anyof (header :value "gt" :comparator "i;ascii-numeric" "x-priority" "94", body :contains "unsubscribe-44") { fileinto "Bulk"; }
if header :contains "subject" ["offer 45", "deal 45"] { fileinto "Promo45"; stop; }
if address :domain :is ["from","sender"] "list46.example.org" { fileinto "Lists/46"; }
if envelope :localpart :matches "to" "team47-*" { addflag "$Team47"; fileinto "Team47"; }
if allof (size :over 148K, header :regex "x-mailer" "^bulk48") { discard; }
if anyof (header :value "gt" :comparator "i;ascii-numeric" "x-priority" "99", body :contains "unsubscribe-49") { fileinto "Bulk"; }
