package autoconfig

import (
	"bytes"
	"encoding/xml"

	"github.com/petrelmail/petrel/internal/mailaddr"
)

// The Thunderbird autoconfig document, clientConfig version 1.1 (the
// format of Thunderbird's ISP database and of autoconfig.DOMAIN: an
// emailProvider with incomingServer and outgoingServer elements in order
// of preference; README "Client autoconfiguration").
type tbConfig struct {
	XMLName  xml.Name   `xml:"clientConfig"`
	Version  string     `xml:"version,attr"`
	Provider tbProvider `xml:"emailProvider"`
}

type tbProvider struct {
	ID               string     `xml:"id,attr"`
	Domain           string     `xml:"domain"`
	DisplayName      string     `xml:"displayName"`
	DisplayShortName string     `xml:"displayShortName"`
	Incoming         []tbServer `xml:"incomingServer"`
	Outgoing         []tbServer `xml:"outgoingServer"`
}

type tbServer struct {
	Type           string `xml:"type,attr"` // imap, pop3, smtp
	Hostname       string `xml:"hostname"`
	Port           uint16 `xml:"port"`
	SocketType     string `xml:"socketType"` // SSL or STARTTLS; never plain
	Authentication string `xml:"authentication"`
	Username       string `xml:"username"`
}

// tbUsername is Thunderbird's placeholder for the address the user typed:
// the username is the full address, which the document therefore never
// needs to repeat.
const tbUsername = "%EMAILADDRESS%"

// Thunderbird returns the autoconfig document of domain (canonical A-label
// form). It fails with ErrNotOffered when no incoming protocol is on.
func (s Server) Thunderbird(domain string) ([]byte, error) {
	if len(s.Incoming) == 0 {
		return nil, ErrNotOffered
	}
	p := tbProvider{
		ID:               domain,
		Domain:           domain,
		DisplayName:      mailaddr.DisplayDomain(domain),
		DisplayShortName: mailaddr.DisplayDomain(domain),
	}
	for _, ep := range s.Incoming {
		p.Incoming = append(p.Incoming, s.tbServer(ep))
	}
	for _, ep := range s.Outgoing {
		p.Outgoing = append(p.Outgoing, s.tbServer(ep))
	}
	return encodeXML(tbConfig{Version: "1.1", Provider: p})
}

func (s Server) tbServer(ep Endpoint) tbServer {
	types := map[Protocol]string{IMAP: "imap", POP3: "pop3", Submission: "smtp"}
	socket := "SSL" // Thunderbird's name for implicit TLS
	if ep.Security == STARTTLS {
		socket = "STARTTLS"
	}
	return tbServer{
		Type:           types[ep.Protocol],
		Hostname:       s.Hostname,
		Port:           ep.Port,
		SocketType:     socket,
		Authentication: "password-cleartext", // inside TLS: see Endpoint
		Username:       tbUsername,
	}
}

// encodeXML is v as an indented XML document with its declaration.
func encodeXML(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}
