package cloudwatch

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/patservice/pat/internal/samstack"
)

// awsMetrics are what AWS publishes in the namespaces the stack's alarms
// watch: the resource types a namespace's metrics are about (their
// dimensions name such a resource), its dimension names, and the unit of
// each metric. An alarm on a metric name, dimension or unit AWS does not
// publish never sees a data point: it stays quiet whatever happens.
// From the services' CloudWatch metrics documentation.
var awsMetrics = map[string]struct {
	types      []string // CloudFormation resource types, by prefix
	dimensions []string
	metrics    map[string]string // name → unit
}{
	"AWS/Lambda": {
		types:      []string{"AWS::Lambda::Function"},
		dimensions: []string{"FunctionName", "Resource", "ExecutedVersion"},
		metrics: map[string]string{"Invocations": "Count", "Errors": "Count", "Throttles": "Count", "Duration": "Milliseconds",
			"ConcurrentExecutions": "Count", "DeadLetterErrors": "Count", "DestinationDeliveryFailures": "Count",
			"AsyncEventsDropped": "Count", "AsyncEventsReceived": "Count", "AsyncEventAge": "Milliseconds"},
	},
	"AWS/DynamoDB": {
		types:      []string{"AWS::DynamoDB::Table"},
		dimensions: []string{"TableName", "Operation", "GlobalSecondaryIndexName"},
		metrics: map[string]string{"ReadThrottleEvents": "Count", "WriteThrottleEvents": "Count", "ThrottledRequests": "Count",
			"SystemErrors": "Count", "UserErrors": "Count", "ConsumedReadCapacityUnits": "Count", "ConsumedWriteCapacityUnits": "Count",
			"SuccessfulRequestLatency": "Milliseconds", "ConditionalCheckFailedRequests": "Count", "TransactionConflict": "Count"},
	},
	// HTTP APIs (AWS::ApiGatewayV2::Api) publish 4xx and 5xx by ApiId;
	// REST APIs publish 4XXError and 5XXError by ApiName.
	"AWS/ApiGateway": {
		types:      []string{"AWS::ApiGatewayV2::Api", "AWS::ApiGateway::RestApi"},
		dimensions: []string{"ApiId", "ApiName", "Stage", "Route", "Method", "Resource"},
		metrics: map[string]string{"4xx": "Count", "5xx": "Count", "4XXError": "Count", "5XXError": "Count", "Count": "Count",
			"Latency": "Milliseconds", "IntegrationLatency": "Milliseconds"},
	},
	"AWS/SQS": {
		types:      []string{"AWS::SQS::Queue"},
		dimensions: []string{"QueueName"},
		metrics: map[string]string{"ApproximateNumberOfMessagesVisible": "Count", "ApproximateAgeOfOldestMessage": "Seconds",
			"NumberOfMessagesSent": "Count", "NumberOfMessagesReceived": "Count"},
	},
	// SES publishes by configuration set when the set's event destination
	// names ses:configuration-set as a dimension.
	"AWS/SES": {
		types:      []string{"AWS::SES::ConfigurationSet"},
		dimensions: []string{"ses:configuration-set"},
		metrics: map[string]string{"Send": "Count", "Delivery": "Count", "Bounce": "Count", "Complaint": "Count", "Reject": "Count",
			"RenderingFailure": "Count", "Reputation.BounceRate": "None", "Reputation.ComplaintRate": "None"},
	},
}

// awsPublishes checks a metric of an AWS namespace: a metric and
// dimensions AWS publishes, each dimension naming a resource of the
// stack of the kind the namespace is about, and the unit AWS uses.
func awsPublishes(s *samstack.Stack, m Metric) (string, error) {
	known, ok := awsMetrics[m.Namespace]
	if !ok {
		return "", fmt.Errorf("%s: the checks do not know what AWS publishes in %s: add it to internal/lambdarun/cloudwatch", m, m.Namespace)
	}
	unit, ok := known.metrics[m.Name]
	if !ok {
		return "", fmt.Errorf("%s: AWS publishes no metric %s in %s", m, m.Name, m.Namespace)
	}
	if m.Unit != "" && m.Unit != unit {
		return "", fmt.Errorf("%s: AWS publishes %s in %s, so an alarm on unit %s sees no data", m, m.Name, unit, m.Unit)
	}
	if len(m.Dimensions) == 0 {
		return "", fmt.Errorf("%s: no dimensions: the alarm watches the whole account, not this stack", m)
	}
	var names []string
	for _, dim := range slices.Sorted(maps.Keys(m.Dimensions)) {
		if !slices.Contains(known.dimensions, dim) {
			return "", fmt.Errorf("%s: AWS publishes no dimension %s in %s", m, dim, m.Namespace)
		}
		if dim == "GlobalSecondaryIndexName" {
			// A literal, not a reference: the name of an index of the
			// table the TableName dimension names.
			if err := hasIndex(s, m.Names["TableName"], m.Dimensions[dim]); err != nil {
				return "", fmt.Errorf("%s: %w", m, err)
			}
			names = append(names, fmt.Sprintf("%s names an index of %s", dim, m.Names["TableName"]))
			continue
		}
		id := m.Names[dim]
		owner, ok := s.Find(id)
		if !ok || !owner.Has(id) {
			return "", fmt.Errorf("%s: dimension %s does not name a resource of the stack (Ref or Fn::GetAtt)", m, dim)
		}
		r := owner.Resources[id]
		if !slices.Contains(known.types, r.Type) {
			return "", fmt.Errorf("%s: dimension %s names %s, a %s, not a %s", m, dim, id, r.Type, strings.Join(known.types, " or "))
		}
		names = append(names, fmt.Sprintf("%s names %s (%s)", dim, id, r.Type))
	}
	return "AWS, for " + strings.Join(names, ", "), nil
}

// hasIndex reports an error unless the table of logical id table has a
// global secondary index named index.
func hasIndex(s *samstack.Stack, table, index string) error {
	owner, ok := s.Find(table)
	if !ok || !owner.Has(table) || owner.Resources[table].Type != "AWS::DynamoDB::Table" {
		return fmt.Errorf("dimension GlobalSecondaryIndexName %s: the TableName dimension names no table of the stack", index)
	}
	indexes, _ := owner.Resources[table].Properties["GlobalSecondaryIndexes"].([]any)
	for _, ix := range indexes {
		if name, _ := ix.(map[string]any)["IndexName"].(string); name == index {
			return nil
		}
	}
	return fmt.Errorf("dimension GlobalSecondaryIndexName: table %s has no index %s", table, index)
}
