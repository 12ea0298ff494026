//go:build tools

// Package tools pins kwok's command for `go mod tidy`; scripts/controlplane builds it with go build.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
