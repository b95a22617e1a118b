// Finds squeeze-and-excitation blocks in a model graph: a Multiply whose one
// input is a feature map X and whose other input comes, through Dense /
// Reshape / Activation layers including a sigmoid, from a
// GlobalAveragePooling2D of that same X (squeeze → excitation → scaling).
import type { LayerInfo } from '../shared/inspect-model.ts';

const EXCITATION = new Set(['Dense', 'Reshape', 'Activation', 'Dropout', 'Flatten', 'Permute']);
const GATES = new Set(['sigmoid', 'hardSigmoid']);

export function countSeBlocks(layers: LayerInfo[]): number {
  const byName = new Map(layers.map((l) => [l.name, l]));
  let blocks = 0;
  for (const m of layers.filter((l) => l.className === 'Multiply')) {
    const found = m.inputs.some((ins) => ins.length === 2 && [[ins[0]!, ins[1]!], [ins[1]!, ins[0]!]].some(([x, s]) => {
      let cur = byName.get(s!);
      let gated = false;
      for (let steps = 0; cur && EXCITATION.has(cur.className) && steps < 12; steps++) {
        if (cur.activation && GATES.has(cur.activation)) gated = true;
        cur = byName.get(cur.inputs[0]?.[0] ?? '');
      }
      return !!cur && cur.className === 'GlobalAveragePooling2D' && cur.inputs[0]?.[0] === x && gated;
    }));
    if (found) blocks++;
  }
  return blocks;
}
