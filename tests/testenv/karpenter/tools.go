//go:build tools

// The package the tools module builds (tests/testenv.sh build_karpenter).
package tools

import _ "github.com/aws/karpenter-provider-aws/cmd/controller"
