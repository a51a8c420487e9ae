package release_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/patservice/pat/internal/release"
)

// The root published to the Serverless Application Repository names each
// nested application by its published id and the release's version, and
// is otherwise template.yaml as it is.
func TestPublishableRootNamesEveryNestedApplication(t *testing.T) {
	src := read(t, filepath.Join(root, "template.yaml"))
	locs, err := release.NestedApplications(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(locs) != 8 {
		t.Fatalf("template.yaml nests %d applications, want 8: %v", len(locs), locs)
	}
	ids := map[string]string{}
	for id, loc := range locs {
		if !strings.HasPrefix(loc, "templates/") {
			t.Errorf("%s: Location %q, want a template in templates/", id, loc)
		}
		ids[id] = "arn:aws:serverlessrepo:eu-central-1:123456789012:applications/pat-" + id
	}

	out, err := release.PublishableRoot(src, ids, "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	var got, want map[string]any
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatalf("the publishable root does not parse: %v", err)
	}
	if err := yaml.Unmarshal(src, &want); err != nil {
		t.Fatal(err)
	}
	resources := want["Resources"].(map[string]any)
	for id, arn := range ids {
		props := resources[id].(map[string]any)["Properties"].(map[string]any)
		props["Location"] = map[string]any{"ApplicationId": arn, "SemanticVersion": "1.2.3"}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the publishable root differs from template.yaml in more than the nested Locations:\n%s", out)
	}
	// CloudFormation's short forms (!Ref, !GetAtt, !If, ...) stay as they are.
	for _, tag := range []string{"!Ref ", "!GetAtt ", "!If "} {
		if strings.Count(string(out), tag) != strings.Count(string(src), tag) {
			t.Errorf("%s: %d in the publishable root, %d in template.yaml", tag, strings.Count(string(out), tag), strings.Count(string(src), tag))
		}
	}
	again, err := release.NestedApplications(out)
	if err == nil || len(again) != 0 {
		t.Errorf("the publishable root still has template Locations: %v, %v", again, err)
	}
}

func TestPublishableRootRefusesWhatWasNotPublished(t *testing.T) {
	const tmpl = `Resources:
  DataStack:
    Type: AWS::Serverless::Application
    Properties:
      Location: templates/data.yaml
  MailStack:
    Type: AWS::Serverless::Application
    Properties:
      Location: templates/mail.yaml
      Parameters:
        MailFrom: !Ref MailFrom
  Topic:
    Type: AWS::SNS::Topic
`
	const arn = "arn:aws:serverlessrepo:eu-central-1:123456789012:applications/pat-"
	for _, tc := range []struct {
		name, tmpl, version, want string
		ids                       map[string]string
	}{
		{"a nested application without id", tmpl, "1.0.0", "MailStack (templates/mail.yaml): no application id",
			map[string]string{"DataStack": arn + "data"}},
		{"an empty id", tmpl, "1.0.0", "MailStack (templates/mail.yaml): no application id",
			map[string]string{"DataStack": arn + "data", "MailStack": ""}},
		{"an id for no nested application", tmpl, "1.0.0", "AlarmsStack is no nested application",
			map[string]string{"DataStack": arn + "data", "MailStack": arn + "mail", "AlarmsStack": arn + "alarms"}},
		{"an id for a resource that is not nested", tmpl, "1.0.0", "Topic is no nested application",
			map[string]string{"DataStack": arn + "data", "MailStack": arn + "mail", "Topic": arn + "topic"}},
		{"no version", tmpl, "", "no semantic version",
			map[string]string{"DataStack": arn + "data", "MailStack": arn + "mail"}},
		{"a nested application already published", strings.Replace(tmpl, "Location: templates/data.yaml", "Location: {ApplicationId: x, SemanticVersion: 1.0.0}", 1), "1.0.0",
			"DataStack: Location is no template path", map[string]string{"DataStack": arn + "data", "MailStack": arn + "mail"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := release.PublishableRoot([]byte(tc.tmpl), tc.ids, tc.version)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one saying %q; template:\n%s", err, tc.want, out)
			}
		})
	}
	if _, err := release.PublishableRoot([]byte(tmpl), map[string]string{"DataStack": arn + "data", "MailStack": arn + "mail"}, "1.0.0"); err != nil {
		t.Errorf("every nested application named: %v", err)
	}
}
