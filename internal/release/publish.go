package release

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// The Serverless Application Repository publishes an application only if
// each application it nests is itself published there: a nested
// AWS::Serverless::Application's Location must be {ApplicationId,
// SemanticVersion}, not the local or S3 template `sam deploy` accepts.
const nestedType = "AWS::Serverless::Application"

// NestedApplications returns the Location of each nested application of the
// template root (a local path or an S3 URL), by logical id.
func NestedApplications(root []byte) (map[string]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(root, &doc); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	apps, err := nested(&doc)
	if err != nil {
		return nil, err
	}
	locs := make(map[string]string, len(apps))
	for id, loc := range apps {
		locs[id] = loc.Value
	}
	return locs, nil
}

// PublishableRoot returns the template root with the Location of every
// nested application replaced by {ApplicationId: ids[logical id],
// SemanticVersion: version}, the form the Serverless Application Repository
// requires; nothing else changes. It is an error if a nested application
// has no id, or if ids names a logical id that is no nested application:
// either would publish a root that deploys other code than the release's.
func PublishableRoot(root []byte, ids map[string]string, version string) ([]byte, error) {
	if version == "" {
		return nil, errors.New("publishable root: no semantic version")
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(root, &doc); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	apps, err := nested(&doc)
	if err != nil {
		return nil, err
	}
	var problems []string
	for id := range ids {
		if _, ok := apps[id]; !ok {
			problems = append(problems, fmt.Sprintf("%s is no nested application of the template", id))
		}
	}
	for id, loc := range apps {
		arn := ids[id]
		if !strings.HasPrefix(arn, "arn:") {
			problems = append(problems, fmt.Sprintf("nested application %s (%s): no application id (got %q)", id, loc.Value, arn))
			continue
		}
		*loc = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: "ApplicationId"},
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: arn},
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: "SemanticVersion"},
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: version, Style: yaml.DoubleQuotedStyle},
		}}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, fmt.Errorf("publishable root: %s", strings.Join(problems, "; "))
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("write template: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write template: %w", err)
	}
	return out.Bytes(), nil
}

// nested returns the Location node of each nested application in doc, by
// logical id. A Location that is not a template path (already an
// application id, or missing) is an error: it was not built from this
// repository.
func nested(doc *yaml.Node) (map[string]*yaml.Node, error) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("template: not a mapping")
	}
	resources := value(doc.Content[0], "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return nil, errors.New("template: no Resources")
	}
	apps := map[string]*yaml.Node{}
	for i := 0; i+1 < len(resources.Content); i += 2 {
		id, res := resources.Content[i].Value, resources.Content[i+1]
		if typ := value(res, "Type"); typ == nil || typ.Value != nestedType {
			continue
		}
		loc := value(value(res, "Properties"), "Location")
		if loc == nil || loc.Kind != yaml.ScalarNode || loc.Value == "" {
			return nil, fmt.Errorf("nested application %s: Location is no template path", id)
		}
		apps[id] = loc
	}
	return apps, nil
}

// value returns the value of key in the mapping m, or nil.
func value(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
