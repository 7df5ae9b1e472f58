package webapi

import "net/http"

// routes is every operation of the API; openapi.json describes the same
// (TestOpenAPICoversRoutes).
func (a *api) routes() []route {
	queue := func(a *api) bool { return a.Queue != nil }
	dkim := func(a *api) bool { return a.DKIM != nil }
	dns := func(a *api) bool { return a.DNS != nil }
	logins := func(a *api) bool { return a.Logins != nil }
	return []route{
		{method: http.MethodGet, path: "domains", h: listDomains},
		{method: http.MethodPost, path: "domains", h: addDomain},
		{method: http.MethodDelete, path: "domains/{domain}", h: deleteDomain},
		{method: http.MethodGet, path: "domains/{domain}/dns", need: dns, h: dnsPlan},
		{method: http.MethodGet, path: "domains/{domain}/dns/check", need: dns, h: dnsCheck},
		{method: http.MethodGet, path: "domains/{domain}/dkim", need: dkim, h: listKeys},
		{method: http.MethodPost, path: "domains/{domain}/dkim", need: dkim, h: generateKey},
		{method: http.MethodDelete, path: "domains/{domain}/dkim/{selector}", need: dkim, h: removeKey},

		{method: http.MethodGet, path: "accounts", h: listAccounts},
		{method: http.MethodPost, path: "accounts", h: addAccount},
		{method: http.MethodGet, path: "accounts/{address}", h: showAccount},
		{method: http.MethodPatch, path: "accounts/{address}", h: patchAccount},
		{method: http.MethodDelete, path: "accounts/{address}", h: deleteAccount},
		{method: http.MethodPut, path: "accounts/{address}/password", h: setPassword},
		{method: http.MethodGet, path: "accounts/{address}/quota", h: showQuota},
		{method: http.MethodPut, path: "accounts/{address}/quota", h: setQuota},
		{method: http.MethodPost, path: "accounts/{address}/addresses", h: addAddress},
		{method: http.MethodDelete, path: "accounts/{address}/addresses/{extra}", h: deleteAddress},
		{method: http.MethodGet, path: "accounts/{address}/app-passwords", h: listAppPasswords},
		{method: http.MethodPost, path: "accounts/{address}/app-passwords", h: addAppPassword},
		{method: http.MethodDelete, path: "accounts/{address}/app-passwords/{name}", h: revokeAppPassword},
		{method: http.MethodPost, path: "accounts/{address}/unlock", need: logins, h: unlock},

		{method: http.MethodGet, path: "aliases", h: listAliases},
		{method: http.MethodPost, path: "aliases", h: addAlias},
		{method: http.MethodDelete, path: "aliases/{address}", h: deleteAlias},

		{method: http.MethodGet, path: "queue", need: queue, h: listQueue},
		{method: http.MethodPost, path: "queue/retry", need: queue, h: retryAll},
		{method: http.MethodGet, path: "queue/{id}", need: queue, h: showQueued},
		{method: http.MethodPost, path: "queue/{id}/retry", need: queue, h: retryQueued},
		{method: http.MethodDelete, path: "queue/{id}", need: queue, h: deleteQueued},
	}
}
