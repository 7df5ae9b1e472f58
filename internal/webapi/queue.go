package webapi

import (
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

type rcptJSON struct {
	Address     string    `json:"address"`
	State       string    `json:"state"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
}

type queuedJSON struct {
	ID         string     `json:"id"`
	MsgID      string     `json:"msg_id,omitempty"`
	From       string     `json:"from"`
	Arrived    time.Time  `json:"arrived"`
	Size       int64      `json:"size"`
	RequireTLS bool       `json:"require_tls,omitempty"`
	Rcpts      []rcptJSON `json:"recipients"`
}

func queuedOf(ms []store.QueuedMessage) []queuedJSON {
	out := make([]queuedJSON, 0, len(ms))
	for _, m := range ms {
		j := queuedJSON{ID: m.ID, MsgID: m.Origin, From: m.From, Arrived: m.Arrived, Size: m.Size, RequireTLS: m.RequireTLS,
			Rcpts: make([]rcptJSON, 0, len(m.Rcpts))}
		for _, r := range m.Rcpts {
			j.Rcpts = append(j.Rcpts, rcptJSON{Address: r.Addr, State: r.State.String(), Attempts: r.Attempts,
				NextAttempt: r.NextAttempt, LastAttempt: r.LastAttempt, LastError: r.LastError})
		}
		out = append(out, j)
	}
	return out
}

func listQueue(a *api, c *call) (reply, error) {
	ms, err := a.Queue.List(c.ctx)
	if err != nil {
		return reply{}, err
	}
	counts, err := a.Queue.Counts(c.ctx)
	if err != nil {
		return reply{}, err
	}
	byName := map[string]int64{}
	for _, s := range []store.RcptState{store.RcptPending, store.RcptDeferred} {
		byName[s.String()] = counts[s]
	}
	return ok(map[string]any{"messages": queuedOf(ms), "counts": byName})
}

func showQueued(a *api, c *call) (reply, error) {
	ms, err := a.Queue.Show(c.ctx, c.arg("id"))
	if err != nil {
		return reply{}, err
	}
	return ok(map[string]any{"messages": queuedOf(ms)})
}

func retryQueued(a *api, c *call) (reply, error) {
	n, err := a.Queue.Retry(c.ctx, c.arg("id"))
	if err != nil {
		return reply{}, err
	}
	return ok(map[string]int{"retried": n})
}

func retryAll(a *api, c *call) (reply, error) {
	n, err := a.Queue.RetryAll(c.ctx)
	if err != nil {
		return reply{}, err
	}
	return ok(map[string]int{"retried": n})
}

func deleteQueued(a *api, c *call) (reply, error) {
	ids, err := a.Queue.Delete(c.ctx, c.arg("id"))
	if err != nil {
		return reply{}, err
	}
	return ok(map[string][]string{"deleted": ids})
}
