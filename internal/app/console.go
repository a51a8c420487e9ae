package app

import (
	"log/slog"

	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/console"
)

// Console builds the web console from the environment.
func Console(*slog.Logger) (*console.Console, error) {
	cfg, err := config.ConsoleFromEnv()
	if err != nil {
		return nil, err
	}
	return console.New(console.Options{Config: cfg})
}

// MustConsole is Console for the function's main.
func MustConsole() *console.Console { return must(Console) }
