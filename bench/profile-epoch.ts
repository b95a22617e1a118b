// `tsx bench/profile-epoch.ts <lenet|mlp> [samples]`: the second MNIST epoch
// on wasm with this project's kernels, every kernel timed (bench/kernel-profile.ts).
// Prints one JSON line: the profile, the epoch's samples/s and mean loss.
import * as tf from '@tensorflow/tfjs';
import { loadBackend } from '../grader/backend/load-backend.ts';
import { profileKernels } from './kernel-profile.ts';
import { mnistRun } from './train-one.ts';

const [model = 'lenet', samplesArg = '10000'] = process.argv.slice(2);
const samples = Number(samplesArg);
await loadBackend(tf, 'wasm');
const run = await mnistRun(model, samples);
await run.epoch(); // the profile is of the second epoch, as train-one.ts times it
let loss = NaN;
const profile = await profileKernels(tf, 'wasm', async () => { loss = await run.epoch(); });
console.log(JSON.stringify({ model, samples, batch: run.batch, samplesPerSec: samples / (profile.wallMs / 1000), loss, profile }));
