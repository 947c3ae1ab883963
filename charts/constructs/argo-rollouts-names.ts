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

/**
 * Pod label the Rollout's ephemeral metadata sets to the pods' current role (`stable`/`canary`, or
 * `active`/`preview`): Argo Rollouts relabels the pods in place when a ReplicaSet changes role, so dashboards
 * can name the versions, where the hash only tells them apart. No prefix and no dot, so it becomes the same
 * series label (`rollout_role`) through our relabelling and through a ServiceMonitor's `podTargetLabels`.
 */
export const ROLLOUT_ROLE_LABEL = "rollout-role";

/** `ROLLOUT_ROLE_LABEL` on the series. */
export const ROLLOUT_ROLE_SERIES_LABEL = "rollout_role";
