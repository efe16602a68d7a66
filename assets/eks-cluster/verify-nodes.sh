#!/usr/bin/env bash
# Read-only checks of the lab cluster's node groups.
# Usage: CLUSTER={{cluster}} REGION={{region}} ./verify-nodes.sh
set -euo pipefail
CLUSTER="${CLUSTER:-{{cluster}}}"
REGION="${REGION:-{{region}}}"

echo "== Node groups"
eksctl get nodegroup --cluster "$CLUSTER" --region "$REGION"

echo "== Nodes by group, capacity type and zone"
kubectl get nodes -L eks.amazonaws.com/nodegroup,eks.amazonaws.com/capacityType,topology.kubernetes.io/zone,lab/pool

echo "== Taints on the critical group (EKS API)"
aws eks describe-nodegroup --cluster-name "$CLUSTER" --nodegroup-name critical --region "$REGION" \
  --query 'nodegroup.taints' --output table

echo "== Spot group: capacity type, instance types, ASG Capacity Rebalancing"
aws eks describe-nodegroup --cluster-name "$CLUSTER" --nodegroup-name spot --region "$REGION" \
  --query 'nodegroup.{capacityType:capacityType,instanceTypes:join(`,`, instanceTypes)}' --output table
ASG=$(aws eks describe-nodegroup --cluster-name "$CLUSTER" --nodegroup-name spot --region "$REGION" \
  --query 'nodegroup.resources.autoScalingGroups[0].name' --output text)
aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$ASG" --region "$REGION" \
  --query 'AutoScalingGroups[0].{asg:AutoScalingGroupName,capacityRebalance:CapacityRebalance}' --output table
