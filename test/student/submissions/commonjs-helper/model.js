const tf = require('@tensorflow/tfjs-node');
const model = tf.sequential();
model.add(tf.layers.flatten({ inputShape: [28, 28, 1] }));
model.add(tf.layers.dense({ units: 8 }));
module.exports = model;
