// Package admit holds the files that admit serves and checks itself
// against: the OpenAPI contract of its HTTP API.
package admit

import _ "embed"

// OpenAPI is api/openapi.yaml, the contract of the HTTP API.
//
//go:embed api/openapi.yaml
var OpenAPI []byte
