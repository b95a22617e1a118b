// deepdream-region (WORK5) — starter. Self-check: npx dlgrade check deepdream-region this-file.ts
import * as tf from '@tensorflow/tfjs-node';

interface Ctx {
  /** The pretrained InceptionV3 cut at `cutAt` (default: ctx.target.layer); input [1, h, w, 3] in [-1, 1], any h, w ≥ minSize. */
  loadBase(options?: { cutAt?: string | string[] }): Promise<tf.LayersModel>;
  target: { layer: string; channel: number };
  octaves: number;
  minSize: number;
}

export async function dream(image: tf.Tensor3D, mask: tf.Tensor2D, ctx: Ctx): Promise<tf.Tensor3D> {
  const base = await ctx.loadBase();
  let picture = image.mul(2).sub(1) as tf.Tensor3D; // the base expects [-1, 1]

  // TODO 2: a loss for the one neuron: channel ctx.target.channel of the base's output (not the whole layer).
  const loss = (x: tf.Tensor) => (base.apply(x.expandDims(0)) as tf.Tensor).mean() as tf.Scalar;
  const gradient = tf.grad(loss);

  // TODO 4: several octaves, from small (not below ctx.minSize) to full size, fused back at full size.
  for (let step = 0; step < 20; step++) {
    picture = tf.tidy(() => {
      const g = gradient(picture);
      // TODO 3: only pixels inside the mask may change.
      const normalised = g.div(tf.moments(g).variance.sqrt().add(1e-8));
      return picture.add(normalised.mul(0.01)).clipByValue(-1, 1) as tf.Tensor3D;
    });
  }
  return picture.add(1).div(2) as tf.Tensor3D;
}
