// Weak for WORK5: region-restricted and multi-octave, but with the classic
// DeepDream loss (the mean of every channel of the layer) instead of the one
// neuron the assignment names: the target channel hardly rises.
import * as tf from '@tensorflow/tfjs';

interface Ctx { loadBase(o?: { cutAt?: string }): Promise<tf.LayersModel>; target: { layer: string }; octaves: number; minSize: number }

export async function dream(image: tf.Tensor3D, mask: tf.Tensor2D, ctx: Ctx) {
  const base = await ctx.loadBase({ cutAt: ctx.target.layer });
  const [H, W] = image.shape;
  const scale = Math.min(1.4, (Math.min(H, W) / (ctx.minSize + 4)) ** (1 / Math.max(1, ctx.octaves - 1)));
  const region = mask.expandDims(-1) as tf.Tensor3D;
  let picture = image.mul(2).sub(1) as tf.Tensor3D;
  const grad = tf.grad((img: tf.Tensor) => (base.apply(img.expandDims(0)) as tf.Tensor).mean() as tf.Scalar);
  for (let o = ctx.octaves - 1; o >= 0; o--) {
    const size: [number, number] = [Math.round(H / scale ** o), Math.round(W / scale ** o)];
    const start = tf.image.resizeBilinear(picture, size), here = tf.image.resizeBilinear(region, size);
    let x = start;
    for (let s = 0; s < 20; s++) {
      x = tf.tidy(() => {
        const g = (grad(x) as tf.Tensor3D).mul(here);
        return x.add(g.div(tf.moments(g).variance.sqrt().add(1e-8)).mul(0.01)).clipByValue(-1, 1) as tf.Tensor3D;
      });
    }
    picture = picture.add(tf.image.resizeBilinear(x, [H, W]).sub(tf.image.resizeBilinear(start, [H, W])).mul(region)).clipByValue(-1, 1) as tf.Tensor3D;
  }
  return picture.add(1).div(2) as tf.Tensor3D;
}
