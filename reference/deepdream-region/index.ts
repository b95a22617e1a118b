// Reference for deepdream-region (WORK5): gradient ascent on the picture to
// excite one channel of one InceptionV3 layer, only inside the region.
//  1. DeepDream: the loss is the target channel's activation; each step moves
//     the picture along the gradient, normalised by its standard deviation.
//  2. Neuron-targeted loss: the mean of channel `target.channel` of
//     `target.layer`, weighted by the region (the mask resized to the map).
//  3. Region-restricted gradient: the gradient is multiplied by the mask
//     before each step, so only pixels in the region move.
//  4. Octaves: the picture is processed from small to full size; what each
//     octave adds (its "detail") is upscaled and added back at full size
//     through the mask, so pixels outside the region stay exactly as given.
import * as tf from '@tensorflow/tfjs-node';

interface Ctx {
  loadBase(options?: { cutAt?: string | string[] }): Promise<tf.LayersModel>;
  target: { layer: string; channel: number };
  octaves: number;
  minSize: number;
}

const STEPS = 20; // per octave
const STEP_SIZE = 0.01; // in the base's [-1, 1] pixel units
const MAX_SCALE = 1.4; // between octaves

export async function dream(image: tf.Tensor3D, mask: tf.Tensor2D, ctx: Ctx): Promise<tf.Tensor3D> {
  const base = await ctx.loadBase({ cutAt: ctx.target.layer });
  const [H, W] = image.shape;
  // The smallest octave must stay above the base's minimum input size.
  const scale = ctx.octaves > 1 ? Math.min(MAX_SCALE, (Math.min(H, W) / (ctx.minSize + 4)) ** (1 / (ctx.octaves - 1))) : 1;
  const region = mask.expandDims(-1) as tf.Tensor3D; // [H, W, 1]
  let picture = tf.tidy(() => image.mul(2).sub(1) as tf.Tensor3D); // [-1, 1], as InceptionV3 expects

  for (let o = ctx.octaves - 1; o >= 0; o--) {
    const size: [number, number] = [Math.round(H / scale ** o), Math.round(W / scale ** o)];
    const start = tf.image.resizeBilinear(picture, size);
    const regionHere = tf.image.resizeBilinear(region, size);
    const loss = (x: tf.Tensor) => {
      const act = base.apply(x.expandDims(0)) as tf.Tensor4D; // [1, h, w, channels]
      const unit = act.slice([0, 0, 0, ctx.target.channel], [1, -1, -1, 1]);
      const weight = tf.image.resizeBilinear(regionHere, [act.shape[1], act.shape[2]]).expandDims(0);
      return unit.mul(weight).sum().div(weight.sum().add(1e-6)) as tf.Scalar;
    };
    const gradient = tf.grad(loss);
    let current = start.clone();
    for (let step = 0; step < STEPS; step++) {
      const next = tf.tidy(() => {
        const g = gradient(current).mul(regionHere);
        const normalised = g.div(tf.moments(g).variance.sqrt().add(1e-8));
        return current.add(normalised.mul(STEP_SIZE)).clipByValue(-1, 1) as tf.Tensor3D;
      });
      current.dispose();
      current = next;
      await tf.nextFrame(); // lets the harness see progress between steps
    }
    const merged = tf.tidy(() => {
      const detail = tf.image.resizeBilinear(current, [H, W]).sub(tf.image.resizeBilinear(start, [H, W]));
      return picture.add(detail.mul(region)).clipByValue(-1, 1) as tf.Tensor3D;
    });
    tf.dispose([picture, start, regionHere, current]);
    picture = merged;
  }
  const out = tf.tidy(() => picture.add(1).div(2) as tf.Tensor3D);
  picture.dispose();
  return out;
}
