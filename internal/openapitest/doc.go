// Package openapitest checks recorded HTTP exchanges against admit's OpenAPI
// contract, api/openapi.yaml, so that every test that talks to the API also
// proves that the API keeps its contract.
//
// Load parses and validates the document once per test; Check validates one
// exchange; Transport wraps an http.RoundTripper so that every exchange of an
// http.Client is checked as it happens:
//
//	v := openapitest.Load(t, "../../api/openapi.yaml")
//	client := &http.Client{Transport: v.Transport(t, nil)}
//
// A request is checked only when the server accepted it (status below 400),
// so that tests may send malformed requests on purpose; the response is
// always checked, against the response documented for its status. A request
// to a path or method that the contract does not list passes only when it is
// answered by a 404 or 405 problem.
//
// Mismatches are reported with t.Errorf: the test goes on and fails at its
// end. Only the standard library, kin-openapi and the document are used.
package openapitest
