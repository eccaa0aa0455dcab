/** The data sources the stack reads, answered with the emulator's account. */
import type { ResourceApplier } from "../context.js";

export const dataSourceAppliers: Record<string, ResourceApplier> = {
  aws_caller_identity: (_config, _node, context) => ({
    id: context.accountId,
    account_id: context.accountId,
    arn: `arn:aws:iam::${context.accountId}:user/moto`,
    user_id: "AKIAIOSFODNN7EXAMPLE",
  }),
};
