/**
 * Names shared by the Rollout, its AnalysisTemplate and the monitoring that feeds the analysis. No imports:
 * constructs and monitoring both depend on this module, never on each other through it.
 */

/** Pod label Argo Rollouts puts on the pods of each ReplicaSet it manages (and into the Services it steers). */
export const POD_TEMPLATE_HASH_LABEL = "rollouts-pod-template-hash";

/**
 * The same label on every series scraped from those pods: Prometheus' relabelling (standalone) or the
 * ServiceMonitor's `podTargetLabels` (operator) copy it, with '-' turned into '_' as label names require.
 */
export const POD_TEMPLATE_HASH_SERIES_LABEL = "rollouts_pod_template_hash";

/** Argument names of the AnalysisTemplate, filled by the Rollout from `valueFrom.podTemplateHashValue`. */
export const ANALYSIS_ARGS = { newHash: "new-hash", oldHash: "old-hash" } as const;
