// Package devstack assembles the service on one net/http handler for
// running outside AWS: the routes API Gateway sends to the functions on AWS
// (the management API and the console, through localgw) and the demo API
// behind the real authorizer. The local server and the browser tests serve
// the same handler.
package devstack

import (
	"log/slog"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/patservice/pat/internal/apigw"
	"github.com/patservice/pat/internal/app"
	"github.com/patservice/pat/internal/app/authorizer"
	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/console"
	"github.com/patservice/pat/internal/demo"
	"github.com/patservice/pat/internal/localgw"
	"github.com/patservice/pat/internal/sesmail"
)

// Options are what the functions get from the template and API Gateway on AWS.
type Options struct {
	Config     config.Config
	Authorizer config.Authorizer
	DB         *dynamodb.Client
	Mail       sesmail.API // nil: owners' notices wait for the lifecycle job
	// Identity stands in for the management API's JWT authorizer: the
	// development identity (localgw.Claims) or a real issuer's tokens
	// verified as on AWS (localgw.JWTAuthorizer).
	Identity localgw.Authorizer
	Console  console.Options
	Log      *slog.Logger
}

// Handler serves the management API and the console at the root and the
// demo API under /api/.
func Handler(o Options) (*http.ServeMux, error) {
	api, err := app.NewManagement(o.Config, o.DB, o.Mail, o.Log)
	if err != nil {
		return nil, err
	}
	authz, err := authorizer.New(o.Authorizer, o.DB, o.Log)
	if err != nil {
		return nil, err
	}
	con, err := console.New(o.Console)
	if err != nil {
		return nil, err
	}
	var routes []localgw.Route
	for _, r := range append(api.Routes(), con.Routes()...) {
		routes = append(routes, localgw.Route{Method: r.Method, Path: r.Path, Handler: r.Handler, Public: r.Public})
	}
	mux := http.NewServeMux()
	mux.Handle("/", localgw.New(routes, o.Identity))
	// The example API, protected by the real authorizer with REST API semantics.
	mux.Handle("/api/", &localgw.Protected{Authorizer: apigw.New(authz).REST, Backend: demo.Echo, Realm: o.Authorizer.Realm, Stage: "demo"})
	return mux, nil
}
