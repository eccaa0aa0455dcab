/**
 * What the local cloud needs from the synthesized stack, checked at synth time: every interpolation is a
 * plain reference local/apply resolves (no Fn.* calls, operators, variables …), and every resource and
 * data source type has an applier or is listed as skipped.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertKnownTypes } from "../../local/apply/index.js";
import { referencesAt, resourceNodes, type StackDocument } from "../../local/apply/stack-document.js";
import { synthStack } from "./support/synth.js";

const document = synthStack().json as unknown as StackDocument;

test("every interpolation in the stack is a plain reference to a resource or data source it defines", () => {
  const nodes = resourceNodes(document);
  const addresses = new Set(nodes.map((node) => node.address));
  const references = [
    ...nodes.flatMap((node) => referencesAt(node.config, node.address)),
    ...Object.entries(document.output ?? {}).flatMap(([name, output]) => referencesAt(output.value, `output.${name}`)),
  ];

  assert.ok(references.length > 100, `the stack has its references (${references.length})`);
  assert.equal(references.filter((reference) => !addresses.has(reference.address)), []);
});

test("every resource and data source type of the stack is applied or skipped by the local cloud", () => {
  assertKnownTypes(resourceNodes(document));
});

test.run();
