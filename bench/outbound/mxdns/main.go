// Command mxdns is the DNS server of bench/outbound.sh: on a loopback
// address it answers MX for d1.test..dN.test with mx.dI.test, whose A
// record is 127.0.0.(base+I), so each domain has its own loopback MX.
// With -sender DOMAIN (bench/smtp.sh) it also publishes an SPF record
// for DOMAIN allowing 127.0.0.0/8 and a DMARC p=reject record, so that
// mail from DOMAIN sent over loopback passes SPF and DMARC.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/miekg/dns"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:10053", "UDP and TCP address")
	n := flag.Int("domains", 10, "number of domains d1.test..dN.test")
	base := flag.Int("ipbase", 10, "mx.dI.test is 127.0.0.(ipbase+I)")
	sender := flag.String("sender", "", "a sending domain to publish SPF and DMARC records for")
	flag.Parse()
	if *n < 1 || *base < 0 || *base+*n > 254 {
		log.Fatal("mxdns: bad -domains or -ipbase")
	}
	records := map[string][]dns.RR{}
	for i := 1; i <= *n; i++ {
		for _, line := range []string{
			fmt.Sprintf("d%d.test. 3600 IN MX 10 mx.d%d.test.", i, i),
			fmt.Sprintf("mx.d%d.test. 3600 IN A 127.0.0.%d", i, *base+i),
		} {
			rr, err := dns.NewRR(line)
			if err != nil {
				log.Fatal(err)
			}
			records[rr.Header().Name] = append(records[rr.Header().Name], rr)
		}
	}
	if *sender != "" {
		for _, line := range []string{
			fmt.Sprintf(`%s. 3600 IN TXT "v=spf1 ip4:127.0.0.0/8 -all"`, *sender),
			fmt.Sprintf(`_dmarc.%s. 3600 IN TXT "v=DMARC1; p=reject"`, *sender),
		} {
			rr, err := dns.NewRR(line)
			if err != nil {
				log.Fatal(err)
			}
			records[rr.Header().Name] = append(records[rr.Header().Name], rr)
		}
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		if len(q.Question) == 1 {
			rrs, ok := records[strings.ToLower(q.Question[0].Name)]
			if !ok {
				m.Rcode = dns.RcodeNameError
			}
			for _, rr := range rrs {
				if rr.Header().Rrtype == q.Question[0].Qtype {
					m.Answer = append(m.Answer, rr)
				}
			}
		}
		_ = w.WriteMsg(m)
	})
	for _, netw := range []string{"udp", "tcp"} {
		srv := &dns.Server{Addr: *listen, Net: netw, Handler: h}
		go func() { log.Fatal(srv.ListenAndServe()) }()
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
}
