import { test } from "uvu";
import * as assert from "uvu/assert";
import { campaignShowLines } from "../../../../cli/commands/campaign.js";
import { campaign } from "../../campaigns/support/factories.js";

test("campaign show says how many withdrawals the campaign still owes, and where to look when they do not go down", () => {
  const owing = campaign({ campaignId: "c-20261126T173500-1a2b3c4d", state: "CANCELED", withdrawalsOwed: 3 });

  const lines = campaignShowLines(owing, []);

  const line = lines.find((entry) => entry.startsWith("withdrawals owed: "));
  assert.ok(line, lines.join("\n"));
  assert.match(line!, /^withdrawals owed: 3 \(install documents of canceled or timed-out jobs/);
  assert.match(line!, /alarm <prefix>-withdrawals-failed/);
  assert.match(line!, /fleetota jobs c-20261126T173500-1a2b3c4d --state CANCELED/);
});

test("campaign show prints no withdrawals line when none is owed", () => {
  for (const withdrawalsOwed of [0, undefined]) {
    assert.not.ok(campaignShowLines(campaign({ withdrawalsOwed }), []).some((line) => line.startsWith("withdrawals owed")));
  }
});

test.run();
