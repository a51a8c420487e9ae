package iamcheck

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// secretsManagerRequests turns one Secrets Manager call (JSON 1.1
// protocol: X-Amz-Target secretsmanager.<Operation>, a JSON body) into
// what IAM authorizes. The calls on one secret are authorized on the
// secret's ARN, which the request must name (SecretId): a bare name would
// leave IAM the ARN's random suffix to find, which this checker does not
// model. The request carries secretsmanager:SecretId and, when given,
// secretsmanager:VersionStage and secretsmanager:VersionId.
func secretsManagerRequests(target string, body []byte) ([][]Request, error) {
	op, ok := strings.CutPrefix(target, "secretsmanager.")
	if !ok {
		return nil, fmt.Errorf("X-Amz-Target %q is not a secretsmanager operation", target)
	}
	var in struct {
		SecretID     string `json:"SecretId"`
		VersionStage string `json:"VersionStage"`
		VersionID    string `json:"VersionId"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if !strings.HasPrefix(in.SecretID, "arn:") {
		return nil, fmt.Errorf("%s: SecretId %q is not an ARN: iamcheck authorizes calls on a secret's ARN only", op, in.SecretID)
	}
	keys := map[string][]string{"secretsmanager:SecretId": {in.SecretID}}
	if in.VersionStage != "" {
		keys["secretsmanager:VersionStage"] = []string{in.VersionStage}
	}
	if in.VersionID != "" {
		keys["secretsmanager:VersionId"] = []string{in.VersionID}
	}
	return [][]Request{{{Action: "secretsmanager:" + op, Resource: in.SecretID, Keys: keys, Call: op}}}, nil
}

func (p *Proxy) secretsManagerChecks(r *http.Request, body []byte) ([][]Request, error) {
	return secretsManagerRequests(r.Header.Get("X-Amz-Target"), body)
}

// secretsManagerRefusal answers as Secrets Manager does: HTTP 400 with a
// JSON 1.1 error.
func (p *Proxy) secretsManagerRefusal(w http.ResponseWriter, fn string, d Decision, unknownKey bool) {
	typ, msg := "AccessDeniedException", p.deniedMessage(fn, d)
	if unknownKey {
		typ, msg = "UnrecognizedClientException", "The security token included in the request is invalid."
	}
	body, _ := json.Marshal(map[string]string{"__type": typ, "message": msg})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", rand.Text())
	w.WriteHeader(http.StatusBadRequest)
	w.Write(body)
}

// ProxySecretsManager puts the proxy in front of Secrets Manager at
// upstream (moto's server on the local stack) too: a function's client is
// pointed at SecretsManagerURL, and every call is checked against its
// policy as DynamoDB's and SES's are.
func (p *Proxy) ProxySecretsManager(upstream string) error {
	url, err := p.serve(upstream, p.secretsManagerChecks, p.secretsManagerRefusal)
	if err != nil {
		return err
	}
	p.SecretsManagerURL = url
	return nil
}
