package smtpclient

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeServer is a scripted SMTP server on loopback. It answers each
// command from its settings and records what it received.
type fakeServer struct {
	addr     string
	ext      []string            // EHLO keywords (STARTTLS is added when tls is set)
	greeting string              // default "220 fake ESMTP"
	rcpt     func(string) string // reply to RCPT TO:<addr>; default 250
	dataEnd  string              // reply after the end of data; default 250
	tls      *tls.Config         // STARTTLS offered
	badTLS   bool                // STARTTLS offered, handshake fails
	silent   bool                // accept and say nothing
	noEHLO   bool                // EHLO is 502: the client must say HELO
	mail     string              // reply to MAIL; default 250
	data     string              // reply to DATA; default 354 and the body is read
	// afterRSET ends the connection after the reply to RSET: "close"
	// closes it, anything else is a reply line said first (e.g. a 421).
	afterRSET string

	mu    sync.Mutex
	conns []*transcript
}

// transcript is what one connection received.
type transcript struct {
	lines     []string
	body      string
	pipelined bool // RCPT lines had arrived before the reply to MAIL
	tls       bool
}

func startFake(t *testing.T, f *fakeServer) *fakeServer { return startFakeOn(t, "127.0.0.1:0", f) }

// startFakeOn listens on addr ("127.0.0.2:port" puts a second server on
// the port of the first).
func startFakeOn(t *testing.T, addr string, f *fakeServer) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { f.serve(nc) })
		}
	})
	return f
}

func (f *fakeServer) port() int {
	_, p, _ := net.SplitHostPort(f.addr)
	n, _ := strconv.Atoi(p)
	return n
}

func (f *fakeServer) transcripts() []*transcript {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*transcript(nil), f.conns...)
}

func (f *fakeServer) locked(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

func (f *fakeServer) serve(nc net.Conn) {
	defer func() { _ = nc.Close() }()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	tr := &transcript{}
	f.mu.Lock()
	f.conns = append(f.conns, tr)
	f.mu.Unlock()
	if f.silent {
		_, _ = bufio.NewReader(nc).ReadString('\n')
		return
	}
	r, w := bufio.NewReader(nc), nc
	greeting := f.greeting
	if greeting == "" {
		greeting = "220 fake ESMTP"
	}
	say(w, greeting)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		f.mu.Lock()
		tr.lines = append(tr.lines, line)
		f.mu.Unlock()
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			if f.noEHLO {
				say(w, "502 5.5.1 EHLO not implemented")
				break
			}
			say(w, f.ehlo(tr))
		case "HELO", "RSET", "NOOP":
			say(w, "250 ok")
			if strings.EqualFold(verb, "RSET") && f.afterRSET != "" {
				if f.afterRSET != "close" {
					say(w, f.afterRSET)
				}
				return
			}
		case "STARTTLS":
			say(w, "220 2.0.0 go ahead")
			if f.badTLS {
				_, _ = r.ReadByte() // the ClientHello
				_, _ = nc.Write([]byte("this is not TLS\r\n"))
				return
			}
			tc := tls.Server(nc, f.tls)
			if tc.Handshake() != nil {
				return
			}
			nc, r, w = tc, bufio.NewReader(tc), tc
			f.locked(func() { tr.tls = true })
		case "AUTH":
			say(w, "235 2.7.0 Authentication successful")
		case "MAIL":
			f.locked(func() { tr.pipelined = r.Buffered() > 0 })
			if f.mail != "" {
				say(w, f.mail)
				break
			}
			say(w, "250 2.1.0 ok")
		case "RCPT":
			say(w, f.rcptReply(arg))
		case "DATA":
			if f.data != "" {
				say(w, f.data)
				continue
			}
			say(w, "354 go ahead")
			body := readData(r)
			f.locked(func() { tr.body = body })
			if f.dataEnd == "-" { // no reply: the client times out
				_, _ = r.ReadString('\n')
				return
			}
			end := f.dataEnd
			if end == "" {
				end = "250 2.0.0 queued as X"
			}
			say(w, end)
		case "QUIT":
			say(w, "221 2.0.0 bye")
			return
		default:
			say(w, "500 5.5.2 what?")
		}
	}
}

func (f *fakeServer) ehlo(tr *transcript) string {
	kws := append([]string{"fake.test"}, f.ext...)
	if (f.tls != nil || f.badTLS) && !tr.tls {
		kws = append(kws, "STARTTLS")
	}
	var b strings.Builder
	for i, kw := range kws {
		sep := "-"
		if i == len(kws)-1 {
			sep = " "
		}
		b.WriteString("250" + sep + kw + "\r\n")
	}
	return strings.TrimSuffix(b.String(), "\r\n")
}

func (f *fakeServer) rcptReply(arg string) string {
	addr := strings.TrimPrefix(arg, "TO:<")
	addr, _, _ = strings.Cut(addr, ">")
	if f.rcpt != nil {
		return f.rcpt(addr)
	}
	return "250 2.1.5 ok"
}

func say(w net.Conn, s string) { _, _ = w.Write([]byte(s + "\r\n")) }

// readData reads DATA content up to the final dot, as sent (stuffed).
func readData(r *bufio.Reader) string {
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil || line == ".\r\n" {
			return b.String()
		}
		b.WriteString(line)
	}
}

// selfSigned returns a server TLS config with a fresh certificate for
// names, and a pool that trusts it.
func selfSigned(t *testing.T, names ...string) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}
