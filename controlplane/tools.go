//go:build tools

// Package tools pins the commands scripts/controlplane builds, so `go mod tidy` keeps their dependencies
// in go.sum. Built with `go build -o BIN/NAME PACKAGE` from this folder, never imported.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
