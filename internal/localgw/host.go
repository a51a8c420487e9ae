package localgw

import (
	"net"
	"net/http"
	"strings"
)

// LoopbackOnly serves h only to requests whose Host is a loopback name of
// the address the server listens on: 127.0.0.1, localhost or [::1], with
// its port. The local server knows its user without a credential, so a
// page on another site that points its own name at 127.0.0.1 (DNS
// rebinding) would otherwise drive it as same-origin; the browser still
// sends that page's name as Host, which is answered 421 Misdirected
// Request, with nothing read or changed.
func LoopbackOnly(listen net.Addr, h http.Handler) http.Handler {
	_, port, _ := net.SplitHostPort(listen.String())
	allowed := map[string]bool{}
	for _, name := range []string{"127.0.0.1", "localhost", "[::1]"} {
		allowed[name+":"+port] = true
		if port == "80" {
			allowed[name] = true // a browser leaves the default port out
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed[strings.ToLower(r.Host)] {
			http.Error(w, "this server answers to 127.0.0.1:"+port+", localhost:"+port+" and [::1]:"+port+" only", http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}
