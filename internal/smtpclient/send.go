package smtpclient

import (
	"context"

	"github.com/petrelmail/petrel/internal/smtpreply"
)

func (c *Client) send(ctx context.Context, domain string, m *Message) []Result {
	out := make([]Result, len(m.Rcpts))
	for i, r := range m.Rcpts {
		out[i] = Result{Rcpt: r.Addr, Reply: smtpreply.New(451, smtpreply.Enhanced{4, 3, 0}, "Outbound delivery not implemented yet")}
	}
	return out
}
