/**
 * Property names that tslab's converter mistakes for earlier cells' names, written so it cannot. An earlier
 * cell's names live on the kernel's `exports` object, and tslab rewrites each identifier whose symbol an earlier
 * cell declares into `exports.name`, asking the checker for that symbol. Two kinds of property name go wrong:
 * - a shorthand property, `{ seeds }` after the cell that declared `seeds`: the checker answers with the property
 *   itself, so tslab leaves the bare name and the cell throws `ReferenceError: seeds is not defined`. Written out
 *   as `{ seeds: seeds }`, the value is an ordinary reference and tslab's rewrite finds it. The two forms mean the
 *   same in JavaScript, also as an assignment target (`({ seeds } = other)`, `{ seeds = [] }`), and the checker
 *   still decides whether the name is the earlier cell's or a local that shadows it. Only names the earlier
 *   cells' declarations mention are written out, so other shorthand keeps TypeScript's own messages.
 * - a renamed destructured property, `const { loss: final } = result`, where the type of `result` was declared
 *   (or inferred) in an earlier cell: the checker answers with that type's property, declared in an earlier cell,
 *   and tslab makes the property name `exports.loss`, which prints as a binding of `exports` (a SyntaxError).
 *   Quoted, `{ "loss": final }`, the name is a string literal, which tslab does not touch and means the same.
 * Only the cell to run is rewritten; completion and quick info see it as written.
 */
import type * as TS from "@tslab/typescript-for-tslab";
import type { Edit } from "./edits";

/** The edits that make `cell`'s property names safe from tslab's rewrite of earlier cells' names (declared in `prevDecl`). */
export function propertyNameEdits(ts: typeof TS, cell: TS.SourceFile, prevDecl: string): Edit[] {
  if (!prevDecl.trim()) return [];
  const edits: Edit[] = [];
  const insert = (at: number, text: string) => edits.push({ start: at, end: at, text });
  const visit = (node: TS.Node): void => {
    if (ts.isShorthandPropertyAssignment(node) && mentioned(prevDecl, node.name.text)) {
      const start = node.name.getStart(cell);
      insert(start, `${cell.text.slice(start, node.name.getEnd())}: `);
    } else if (ts.isBindingElement(node) && node.propertyName && ts.isIdentifier(node.propertyName)) {
      insert(node.propertyName.getStart(cell), '"');
      insert(node.propertyName.getEnd(), '"');
    }
    ts.forEachChild(node, visit);
  };
  visit(cell);
  return edits;
}

/**
 * Whether `name` appears as a word in the earlier cells' declarations. A cheap stand-in for "an earlier cell
 * declares it" (parsing the declarations would cost more than the rest of a small cell's compile): a name that
 * only appears in a type is written out too, which changes nothing but the wording of a "no value in scope" error.
 */
function mentioned(prevDecl: string, name: string): boolean {
  const escaped = name.replace(/[$]/g, "\\$");
  return new RegExp(`(?<![\\w$])${escaped}(?![\\w$])`, "u").test(prevDecl);
}
