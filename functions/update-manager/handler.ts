import { createLogger } from "../shared/logger.js";

const logger = createLogger("update-manager");

/** Placeholder until its issue lands: logs the event it was given. */
export const handler = async (event: unknown): Promise<unknown> => {
  logger.info("invoked", { event });
  return {};
};
