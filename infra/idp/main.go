// Command idp runs a real OpenID provider on 127.0.0.1 for the local
// server's sign-in with an OpenID provider: zitadel/oidc's example provider
// (internal/localidp), with the console as public client pat-console and
// two users whose id tokens carry their groups. Start it, then `make run`
// with the PAT_OIDC_* variables it prints (docs/development.md, "Signing in with an
// OpenID provider").
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/patservice/pat/internal/localidp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9998", "address to listen on (loopback only)")
	flag.Parse()
	if err := run(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "idp:", err)
		os.Exit(1)
	}
}

func run(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s (use -addr for another port): %w", addr, err)
	}
	// Loopback redirect URIs of a native client match any port (RFC 8252
	// §7.3): the console of `make run` at any PAT_ADDR.
	p, err := localidp.Start(ln, "http://127.0.0.1/console/", "http://localhost/console/")
	if err != nil {
		return err
	}
	defer p.Close()
	fmt.Printf("OpenID provider (zitadel/oidc's example) at %s, client %s\nUsers (username / password, groups in the %q claim):\n",
		p.Issuer, localidp.ClientID, localidp.GroupsClaim)
	for _, u := range localidp.Users {
		fmt.Printf("  %s / %s   %s\n", u.Username, u.Password, strings.Join(u.Groups, " "))
	}
	fmt.Printf("\nIn another terminal:\n  CLAIM_GROUPS=%s PAT_OIDC_ISSUER=%s PAT_OIDC_CLIENT_ID=%s make run\nStop with Ctrl-C.\n",
		localidp.GroupsClaim, p.Issuer, localidp.ClientID)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}
