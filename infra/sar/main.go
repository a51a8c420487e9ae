// Command sar helps infra/sar/publish.sh publish the service to the AWS
// Serverless Application Repository, which needs each nested application
// published before the root that names it.
//
//	sar nested <template>                    logical id, template path and SAR name of each nested application
//	sar root <template> <version> <id=arn>...  the template, its nested Locations the published applications
package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/patservice/pat/internal/release"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sar:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: sar nested <template> | sar root <template> <version> <logical id>=<application id>...")
	}
	src, err := os.ReadFile(args[1])
	if err != nil {
		return err
	}
	switch {
	case args[0] == "nested" && len(args) == 2:
		locs, err := release.NestedApplications(src)
		if err != nil {
			return err
		}
		for _, id := range slices.Sorted(maps.Keys(locs)) {
			path := filepath.Join(filepath.Dir(args[1]), locs[id])
			name, err := appName(path)
			if err != nil {
				return err
			}
			fmt.Printf("%s %s %s\n", id, path, name)
		}
		return nil
	case args[0] == "root" && len(args) >= 3:
		ids := map[string]string{}
		for _, kv := range args[3:] {
			id, arn, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("%q: want <logical id>=<application id>", kv)
			}
			ids[id] = arn
		}
		out, err := release.PublishableRoot(src, ids, args[2])
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(out)
		return err
	}
	return fmt.Errorf("unknown command %q", strings.Join(args, " "))
}

// appName is the Serverless Application Repository name in the template at
// path.
func appName(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var t struct {
		Metadata struct {
			App struct {
				Name string `yaml:"Name"`
			} `yaml:"AWS::ServerlessRepo::Application"`
		} `yaml:"Metadata"`
	}
	if err := yaml.Unmarshal(b, &t); err != nil || t.Metadata.App.Name == "" {
		return "", fmt.Errorf("%s: no AWS::ServerlessRepo::Application Name (%v)", path, err)
	}
	return t.Metadata.App.Name, nil
}
