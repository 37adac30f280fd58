"""Mistake catalog and alternative solutions for a2_keras_lstm.

Each Mistake must lose points in its own exercise and nowhere else; each Alternative must keep
full marks. tests/test_catalogs.py checks both with the fast harness, and a few through nbgrader.
"""

from rnncourse.grading.variants import Alternative, Mistake

MISTAKES = [
    # to_matrix
    Mistake("no_leading_end", "to_matrix", (("rows = [[vocab.end_id] + vocab.encode(name) for name in names]",
                                             "rows = [vocab.encode(name) for name in names]"),), why="rows do not start with END"),
    Mistake("no_trailing_end", "to_matrix", (("[[vocab.end_id] + vocab.encode(name) for", "[[vocab.end_id] + vocab.encode(name, add_end=False) for"),),
            why="rows do not end with END: the model never learns where names stop"),
    Mistake("padded_with_pad", "to_matrix", (("np.full((len(rows), T), vocab.end_id, dtype=np.int32)", "np.full((len(rows), T), PAD, dtype=np.int32)"),),
            why="padded with -1, which an Embedding cannot look up"),
    Mistake("mask_all_ones", "to_matrix", (("mask = np.zeros((len(rows), T), dtype=np.float32)", "mask = np.ones((len(rows), T), dtype=np.float32)"),),
            why="padding not marked in the mask"),
    Mistake("max_len_ignored", "to_matrix", (("T = max_len if max_len is not None else max(len(row) for row in rows)",
                                              "T = max(len(row) for row in rows)"),), why="max_len ignored"),
    # rnn_one_step
    Mistake("state_first", "rnn_one_step", (("ops.concatenate([x_t_emb, h_t], axis=-1)", "ops.concatenate([h_t, x_t_emb], axis=-1)"),),
            why="concatenated the state before the embedding"),
    Mistake("probas_from_old_state", "rnn_one_step", (("get_probas(h_next)", "get_probas(h_t)"),), why="prediction from the previous state"),
    Mistake("state_ignored", "rnn_one_step", (("ops.concatenate([x_t_emb, h_t], axis=-1)", "ops.concatenate([x_t_emb, ops.zeros_like(h_t)], axis=-1)"),),
            why="the state does not reach the next one"),
    Mistake("outputs_swapped", "rnn_one_step", (("return output_probas, h_next", "return h_next, output_probas"),), why="returned (h_next, probas)"),
    Mistake("double_softmax", "rnn_one_step", (("output_probas = get_probas(h_next)", "output_probas = ops.softmax(get_probas(h_next), axis=-1)"),),
            why="a second softmax on get_probas's output, which already ends in one"),
    # CharRNNCell
    Mistake("empty_build", "CharRNNCell", (("self.get_h_next.build((None, input_shape[-1] + self.hidden_size))\n        self.get_probas.build((None, self.hidden_size))",
                                            "pass"),), why="build creates no weights"),
    Mistake("old_state_returned", "CharRNNCell", (("return self.get_probas(h_next), [h_next]", "return self.get_probas(h_next), [states[0]]"),),
            why="returned the previous state: the RNN never remembers"),
    Mistake("cell_without_softmax", "CharRNNCell", (('layers.Dense(n_tokens, activation="softmax")', "layers.Dense(n_tokens)"),),
            why="softmax missing: the cell outputs logits"),
    Mistake("relu_cell", "CharRNNCell", (('layers.Dense(hidden_size, activation="tanh")', 'layers.Dense(hidden_size, activation="relu")'),),
            why="ReLU state instead of tanh"),
    Mistake("build_without_state", "CharRNNCell", (("input_shape[-1] + self.hidden_size", "input_shape[-1]"),),
            why="built get_h_next for the embedding only, forgetting the state"),
    # masked_sparse_cross_entropy
    Mistake("padding_not_masked", "masked_sparse_cross_entropy", (("loss = ops.sum(nll * mask) / ops.maximum(ops.sum(mask), 1.0)", "loss = ops.mean(nll)"),),
            why="padding counted in the loss"),
    Mistake("per_sequence_mean", "masked_sparse_cross_entropy", (("/ ops.maximum(ops.sum(mask), 1.0)", "/ ops.cast(ops.shape(y_true)[0], nll.dtype)"),),
            why="loss per name, not per character"),
    Mistake("summed_not_averaged", "masked_sparse_cross_entropy", (("loss = ops.sum(nll * mask) / ops.maximum(ops.sum(mask), 1.0)", "loss = ops.sum(nll * mask)"),),
            why="summed instead of averaged over the real targets"),
    Mistake("targets_zeroed_in_place", "masked_sparse_cross_entropy", code='''def masked_sparse_cross_entropy(y_true, y_pred):
    y_true = ops.convert_to_tensor(y_true)
    mask = ops.cast(ops.not_equal(y_true, PAD), y_pred.dtype)
    y_true[y_true == PAD] = 0  # writes into the caller's targets
    p_target = ops.take_along_axis(y_pred, ops.expand_dims(ops.cast(y_true, "int32"), -1), axis=-1)[..., 0]
    return ops.sum(-ops.log(ops.clip(p_target, 1e-7, 1.0)) * mask) / ops.maximum(ops.sum(mask), 1.0)
''', why="replaced PAD by 0 in the targets it was given (in place): the right loss, but the caller's targets are changed"),
    Mistake("numpy_loss", "masked_sparse_cross_entropy", code='''def masked_sparse_cross_entropy(y_true, y_pred):
    y_true = np.asarray(y_true).astype(int)
    y_pred = np.asarray(y_pred)
    mask = y_true != PAD
    p = np.take_along_axis(y_pred, np.where(mask, y_true, 0)[..., None], axis=-1)[..., 0]
    return float(-(np.log(np.clip(p, 1e-7, 1.0)) * mask).sum() / mask.sum())
''', why="NumPy inside the loss: Keras cannot differentiate it"),
    # build_char_rnn
    Mistake("no_return_sequences", "build_char_rnn", (("layers.RNN(CharRNNCell(hidden_size, n_tokens), return_sequences=True)",
                                                      "layers.RNN(CharRNNCell(hidden_size, n_tokens))"),),
            why="return_sequences not set: one output per name"),
    Mistake("builtin_sparse_loss", "build_char_rnn", (("loss=masked_sparse_cross_entropy", 'loss="sparse_categorical_crossentropy"'),),
            why="Keras's unmasked loss, which cannot take PAD targets"),
    Mistake("sgd_char_rnn", "build_char_rnn", (("keras.optimizers.Adam(learning_rate)", "keras.optimizers.SGD(learning_rate)"),), why="SGD instead of Adam"),
    Mistake("learning_rate_dropped", "build_char_rnn", (("keras.optimizers.Adam(learning_rate)", "keras.optimizers.Adam()"),),
            why="learning rate not passed"),
    Mistake("mask_zero_embedding", "build_char_rnn", (("layers.Embedding(n_tokens, emb_size)", "layers.Embedding(n_tokens, emb_size, mask_zero=True)"),),
            why="Embedding(mask_zero=True): id 0 is END, a real token, and the RNN skips it"),
    Mistake("char_rnn_backwards", "build_char_rnn", (("return_sequences=True)", "return_sequences=True, go_backwards=True)"),),
            why="the RNN reads the names backwards: each position sees the future"),
    Mistake("embedding_of_hidden_size", "build_char_rnn", (("layers.Embedding(n_tokens, emb_size)", "layers.Embedding(n_tokens, hidden_size)"),),
            why="embedding size confused with the hidden size"),
    # generate_sample
    Mistake("temperature_on_probabilities", "generate_sample", (("np.log(np.maximum(probas, 1e-30)) / temperature", "np.log(np.maximum(probas / temperature, 1e-30))"),),
            why="divided the probabilities by the temperature (no effect once renormalised)"),
    Mistake("argmax_name", "generate_sample", (("int(rng.choice(len(p), p=p / p.sum()))", "int(np.argmax(p))"),), why="argmax instead of sampling"),
    Mistake("seed_phrase_not_counted", "generate_sample", (("while len(ids) - 1 < max_length:", "while len(ids) - 1 - len(seed_phrase) < max_length:"),),
            why="max_length counted without the seed phrase"),
    Mistake("unseeded_name", "generate_sample", (("rng = np.random.default_rng(seed)", "rng = np.random.default_rng()"),), why="seed ignored"),
    Mistake("reseeded_every_step", "generate_sample", (("    rng = np.random.default_rng(seed)\n", ""),
                                                      ("        next_id = int(rng.choice(", "        rng = np.random.default_rng(seed)\n        next_id = int(rng.choice(")),
            why="a generator re-created with the same seed at every step: every draw is the same"),
    Mistake("seed_plus_step", "generate_sample", (("    rng = np.random.default_rng(seed)\n", ""),
                                                 ("        next_id = int(rng.choice(", "        rng = np.random.default_rng(seed + len(ids))\n        next_id = int(rng.choice(")),
            why="a new generator at every step, seeded with seed + step: the names of consecutive seeds are shifted copies"),
    Mistake("last_char_only", "generate_sample", (("model(np.array([ids]))", "model(np.array([ids[-1:]]))"),),
            why="fed the model only the last character at each step (it keeps no state between calls)"),
    Mistake("end_not_fed", "generate_sample", (("model(np.array([ids]))", "model(np.array([ids[1:] or ids]))"),),
            why="fed the model the name without its leading END"),
    # build_data
    Mistake("label_is_last_char", "build_data", (("Y.append(text[i + Tx])", "Y.append(text[i + Tx - 1])"),), why="windows off by one: label inside the window"),
    Mistake("last_window_dropped", "build_data", (("range(0, len(text) - Tx, stride)", "range(0, len(text) - Tx - 1, stride)"),),
            why="windows off by one: the last window is lost"),
    Mistake("stride_ignored", "build_data", (("range(0, len(text) - Tx, stride)", "range(0, len(text) - Tx)"),), why="stride ignored"),
    Mistake("short_windows", "build_data", (("X.append(text[i:i + Tx])", "X.append(text[i:i + Tx - 1])"),), why="windows of Tx - 1 characters"),
    # vectorize
    Mistake("float_windows", "vectorize", (("x = np.zeros((len(X), Tx, len(vocab)), dtype=bool)", "x = np.zeros((len(X), Tx, len(vocab)))"),),
            why="float64 instead of bool"),
    Mistake("label_from_window", "vectorize", (("y[i, vocab.stoi[Y[i]]] = True", "y[i, vocab.stoi[window[-1]]] = True"),),
            why="label taken from the window's last character"),
    Mistake("ids_shifted", "vectorize", (("x[i, t, vocab.stoi[char]] = True", "x[i, t, vocab.stoi[char] - 1] = True"),), why="ids off by one"),
    Mistake("time_reversed", "vectorize", (("x[i, t, vocab.stoi[char]] = True", "x[i, Tx - 1 - t, vocab.stoi[char]] = True"),), why="window reversed"),
    # build_lstm_model
    Mistake("return_sequences_true", "build_lstm_model", (("layers.LSTM(units)", "layers.LSTM(units, return_sequences=True)"),),
            why="return_sequences set: one output per character of the window"),
    Mistake("no_softmax", "build_lstm_model", (('layers.Dense(n_tokens, activation="softmax")', "layers.Dense(n_tokens)"),), why="softmax missing"),
    Mistake("adam_not_rmsprop", "build_lstm_model", (("keras.optimizers.RMSprop(learning_rate)", "keras.optimizers.Adam(learning_rate)"),),
            why="Adam instead of RMSprop"),
    Mistake("sparse_loss_for_one_hot", "build_lstm_model", (('loss="categorical_crossentropy"', 'loss="sparse_categorical_crossentropy"'),),
            why="sparse loss for one-hot labels"),
    Mistake("units_fixed", "build_lstm_model", (("layers.LSTM(units)", "layers.LSTM(128)"),), why="units ignored"),
    Mistake("lstm_dropout", "build_lstm_model", (("layers.LSTM(units)", "layers.LSTM(units, dropout=0.2)"),),
            why="dropout on the LSTM's inputs: the outputs are right at inference, training is not the specification's"),
    Mistake("logits_loss", "build_lstm_model", (('loss="categorical_crossentropy"', "loss=keras.losses.CategoricalCrossentropy(from_logits=True)"),),
            why="told the loss that the probabilities are logits"),
    Mistake("lstm_backwards", "build_lstm_model", (("layers.LSTM(units)", "layers.LSTM(units, go_backwards=True)"),),
            why="the LSTM reads each window backwards"),
    # sample
    Mistake("temperature_on_probs", "sample", (("np.log(np.maximum(np.asarray(preds, dtype=np.float64), 1e-30)) / temperature",
                                                "np.log(np.maximum(np.asarray(preds, dtype=np.float64) / temperature, 1e-30))"),),
            why="temperature applied to probabilities instead of log-probabilities"),
    Mistake("argmax_sample", "sample", (("int(rng.choice(len(p), p=p / p.sum()))", "int(np.argmax(p))"),), why="argmax instead of sampling"),
    Mistake("global_random", "sample", (("rng.choice(", "np.random.choice("),), why="drew from np.random, not from rng"),
    Mistake("temperature_multiplied", "sample", (("1e-30)) / temperature", "1e-30)) * temperature"),), why="multiplied by the temperature"),
    Mistake("in_place_temperature", "sample", code='''def sample(preds, temperature, rng):
    preds = np.asarray(preds)
    preds **= 1.0 / temperature   # raises the caller's array to the power, in place
    p = preds.astype(np.float64)
    return int(rng.choice(len(p), p=p / p.sum()))
''', why="right draws for one call, but the caller's probabilities are changed in place"),
    # generate_text
    Mistake("window_not_padded", "generate_text", (("window = (vocab.end * Tx + text)[-Tx:]", "window = text[-Tx:]"),),
            why="first windows not padded with END"),
    Mistake("first_window", "generate_text", (("window = (vocab.end * Tx + text)[-Tx:]", "window = (vocab.end * Tx + text)[:Tx]"),),
            why="always the first Tx characters, not the last"),
    Mistake("rng_every_step", "generate_text", (("index = sample(preds, temperature, rng)", "index = sample(preds, temperature, np.random.default_rng(seed))"),),
            why="a new generator at every step"),
    Mistake("end_included", "generate_text", (("        if stop_at_end and index == vocab.end_id:\n            break\n        text += vocab.itos[index]\n",
                                               "        text += vocab.itos[index]\n        if stop_at_end and index == vocab.end_id:\n            break\n"),),
            why="END appended before stopping"),
    Mistake("temperature_not_passed", "generate_text", (("sample(preds, temperature, rng)", "sample(preds, 1.0, rng)"),), why="temperature ignored"),
    # lstm_step
    Mistake("gate_order_ifoc", "lstm_step", (("z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)", "z_i, z_f, z_o, z_c = ops.split(z, 4, axis=-1)"),),
            why="read the columns in the order i, f, o, c (a textbook's), not Keras's i, f, c, o"),
    Mistake("sigmoid_candidate", "lstm_step", (("ops.sigmoid(z_i) * ops.tanh(z_c)", "ops.sigmoid(z_i) * ops.sigmoid(z_c)"),),
            why="a sigmoid on the candidate instead of tanh"),
    Mistake("h_from_old_cell", "lstm_step", (("h_next = ops.sigmoid(z_o) * ops.tanh(c_next)", "h_next = ops.sigmoid(z_o) * ops.tanh(ops.convert_to_tensor(c_prev))"),),
            why="h_next computed from the previous cell"),
    Mistake("no_tanh_on_cell", "lstm_step", (("h_next = ops.sigmoid(z_o) * ops.tanh(c_next)", "h_next = ops.sigmoid(z_o) * c_next"),),
            why="h_next = o * c, without the tanh"),
    Mistake("input_forget_swapped", "lstm_step", (("ops.sigmoid(z_f) * ops.convert_to_tensor(c_prev) + ops.sigmoid(z_i) * ops.tanh(z_c)",
                                                  "ops.sigmoid(z_i) * ops.convert_to_tensor(c_prev) + ops.sigmoid(z_f) * ops.tanh(z_c)"),),
            why="the input gate scales the old cell and the forget gate the candidate"),
    # lstm_step_backward
    Mistake("no_h_path", "lstm_step_backward", (("dc = dc_next + dh_next * o * (1 - tanh_c ** 2)", "dc = dc_next"),),
            why="the gradient reaching c_t through h_t is left out"),
    Mistake("dc_prev_without_forget", "lstm_step_backward", (('"dc_prev": dc * f', '"dc_prev": dc'),),
            why="dc_prev not scaled by the forget gate"),
    Mistake("double_tanh_derivative", "lstm_step_backward", (("dc * i * (1 - candidate ** 2)", "dc * i * (1 - np.tanh(candidate) ** 2)"),),
            why="the candidate's derivative taken as 1 - tanh(candidate)^2 (tanh applied twice)"),
    Mistake("dbias_not_summed", "lstm_step_backward", (('"dbias": dz.sum(axis=0)', '"dbias": dz.mean(axis=0)'),),
            why="averaged the bias gradient over the examples instead of summing"),
    Mistake("dc_next_in_place", "lstm_step_backward", (("    dc = dc_next + dh_next * o * (1 - tanh_c ** 2)\n",
                                                       "    dc_next += dh_next * o * (1 - tanh_c ** 2)\n    dc = dc_next\n"),),
            why="added to dc_next in place: the right gradients, but the caller's array is changed"),
    # stream_batches
    Mistake("consecutive_windows", "stream_batches", code='''def stream_batches(ids, batch_size, seq_len):
    ids = np.asarray(ids)
    n_batches = (len(ids) - 1) // (batch_size * seq_len)
    size = batch_size * seq_len
    inputs = np.stack([ids[k * size:(k + 1) * size].reshape(batch_size, seq_len) for k in range(n_batches)])
    targets = np.stack([ids[k * size + 1:(k + 1) * size + 1].reshape(batch_size, seq_len) for k in range(n_batches)])
    return inputs, targets
''', why="consecutive windows side by side in a batch: row j of the next batch does not continue row j"),
    Mistake("interleaved_streams", "stream_batches", (("ids[:batch_size * length].reshape(batch_size, length)", "ids[:batch_size * length].reshape(length, batch_size).T"),
                                                      ("ids[1:batch_size * length + 1].reshape(batch_size, length)", "ids[1:batch_size * length + 1].reshape(length, batch_size).T")),
            why="streams made of every batch_size-th id (the reshape's axes swapped)"),
    Mistake("targets_not_shifted", "stream_batches", (("streams_out = ids[1:batch_size * length + 1]", "streams_out = ids[:batch_size * length]"),),
            why="targets equal to the inputs"),
    Mistake("no_reserve_id", "stream_batches", (("n_batches = (len(ids) - 1) // (batch_size * seq_len)", "n_batches = len(ids) // (batch_size * seq_len)"),),
            why="no id kept for the last target: fails when the length is a multiple of batch_size * seq_len"),
    # build_stateful_lstm
    Mistake("not_stateful", "build_stateful_lstm", (("stateful=True, ", ""),), why="the LSTM does not carry its state between calls"),
    Mistake("fused_kernel", "build_stateful_lstm", ((", use_cudnn=False", ""),),
            why="the default LSTM kernel, which cannot train a stateful layer on the torch backend of Keras 3.15"),
    Mistake("last_step_only", "build_stateful_lstm", (("return_sequences=True, stateful=True", "stateful=True"),),
            why="return_sequences not set: one distribution per window"),
    Mistake("stateful_logits", "build_stateful_lstm", (('layers.Dense(n_tokens, activation="softmax")', "layers.Dense(n_tokens)"),),
            why="no softmax: the model outputs logits while the loss expects probabilities"),
    Mistake("stateful_mask_zero", "build_stateful_lstm", (("layers.Embedding(n_tokens, emb_size)", "layers.Embedding(n_tokens, emb_size, mask_zero=True)"),),
            why="Embedding(mask_zero=True): END (id 0), the line break, is skipped"),
    Mistake("input_without_batch_size", "build_stateful_lstm", (('keras.Input(batch_shape=(batch_size, None), dtype="int32")',
                                                                 'keras.Input(shape=(None,), dtype="int32")'),),
            why="no batch size in the input: a stateful LSTM needs it fixed"),
    # generate_poem
    Mistake("encode_adds_end", "generate_poem", (("vocab.encode(clean, add_end=False)", "vocab.encode(clean)"),),
            why="the prefix fed with the END that encode adds: the model reads it as a finished line"),
    Mistake("prefix_dropped", "generate_poem", (("    text = clean\n", '    text = ""\n'),),
            why="only the drawn characters returned, not the prefix before them"),
    Mistake("not_lowercased", "generate_poem", (("prefix.lower()", "prefix"),), why="prefix not lowercased"),
    Mistake("stops_at_line_end", "generate_poem", (("        index = sample(preds, temperature, rng)\n",
                                                   "        index = sample(preds, temperature, rng)\n        if index == vocab.end_id:\n            break\n"),),
            why="stops at the first line break"),
    Mistake("seed_not_passed", "generate_poem", (("np.random.default_rng(seed)", "np.random.default_rng(0)"),), why="seed ignored"),
    Mistake("unknown_kept", "generate_poem", (('"".join(char for char in prefix.lower() if char in vocab.stoi)', "prefix.lower()"),),
            why="characters outside the vocabulary kept"),
    Mistake("no_reset", "generate_poem", (("    reset_states(model)\n", ""),), why="the state is not reset: a poem starts where the previous one ended"),
    Mistake("prefix_without_end", "generate_poem", (("np.array([[vocab.end_id] + vocab.encode(clean, add_end=False)])",
                                                    "np.array([vocab.encode(clean, add_end=False) or [vocab.end_id]])"),),
            why="the prefix fed without the END that starts every text"),
    Mistake("whole_text_every_step", "generate_poem", (("        ids = np.array([[index]])\n",
                                                       "        ids = np.array([[vocab.end_id] + vocab.encode(text, add_end=False)])\n"),),
            why="fed the whole text again at every step, to a model that still holds the state of the previous steps"),
    Mistake("rng_every_char", "generate_poem", (("index = sample(preds, temperature, rng)", "index = sample(preds, temperature, np.random.default_rng(seed))"),),
            why="a new generator at every character"),
]

ALTERNATIVES = [
    Alternative("vectorised_mask", "to_matrix", code='''def to_matrix(names, vocab, max_len=None):
    lengths = np.array([len(name) + 2 for name in names])
    T = max_len or int(lengths.max())
    matrix = np.zeros((len(names), T), dtype=np.int64)  # 0 is the end id
    for j, name in enumerate(names):
        ids = ([vocab.end_id] + vocab.encode(name))[:T]
        matrix[j, :len(ids)] = ids
    mask = (np.arange(T)[None, :] < np.minimum(lengths, T)[:, None]).astype(float)
    return matrix, mask
'''),
    Alternative("concatenate_layer", "rnn_one_step", code='''def rnn_one_step(x_t, h_t):
    both = layers.Concatenate(axis=-1)([embed_x(ops.convert_to_tensor(x_t)), ops.convert_to_tensor(h_t)])
    h_next = get_h_next(both)
    return get_probas(h_next), h_next
'''),
    Alternative("list_state_cell", "CharRNNCell", code='''class CharRNNCell(keras.layers.Layer):
    def __init__(self, hidden_size, n_tokens, **kwargs):
        super().__init__(**kwargs)
        self.hidden_size = hidden_size
        self.n_tokens = n_tokens
        self.state_size = [hidden_size]
        self.get_probas = layers.Dense(n_tokens, activation="softmax")
        self.get_h_next = layers.Dense(hidden_size, activation="tanh")

    def build(self, input_shape):
        emb_size = input_shape[-1]
        self.get_probas.build((None, self.hidden_size))
        self.get_h_next.build((None, emb_size + self.hidden_size))

    def call(self, inputs, states):
        h_prev = states[0]
        h_next = self.get_h_next(ops.concatenate([inputs, h_prev], axis=1))
        probas = self.get_probas(h_next)
        return probas, [h_next]
'''),
    Alternative("keras_sparse_ce", "masked_sparse_cross_entropy", code='''def masked_sparse_cross_entropy(y_true, y_pred):
    y_true = ops.convert_to_tensor(y_true)
    mask = ops.cast(y_true >= 0, y_pred.dtype)
    ids = ops.cast(ops.maximum(y_true, 0), "int32")
    nll = keras.losses.sparse_categorical_crossentropy(ids, y_pred)
    return ops.sum(nll * mask) / ops.sum(mask)
'''),
    Alternative("functional_char_rnn", "build_char_rnn", code='''def build_char_rnn(n_tokens, emb_size=16, hidden_size=64, learning_rate=0.01):
    ids = keras.Input(shape=(None,), dtype="int32")
    embedded = layers.Embedding(input_dim=n_tokens, output_dim=emb_size)(ids)
    probas = layers.RNN(CharRNNCell(hidden_size, n_tokens), return_sequences=True)(embedded)
    model = keras.Model(ids, probas)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss=masked_sparse_cross_entropy)
    return model
'''),
    Alternative("power_predict_on_batch", "generate_sample", code='''def generate_sample(model, vocab, seed_phrase="", max_length=20, temperature=1.0, seed=0):
    rng = np.random.default_rng(seed)
    text = seed_phrase
    while len(text) < max_length:
        ids = np.array([[vocab.end_id] + vocab.encode(text, add_end=False)])
        probas = np.asarray(model.predict_on_batch(ids), dtype=np.float64)[0, -1]
        p = probas ** (1.0 / temperature)   # the same as exp(log(p) / temperature)
        next_id = rng.choice(len(p), p=p / p.sum())
        if next_id == vocab.end_id:
            break
        text += vocab.itos[next_id]
    return text
'''),
    Alternative("comprehension_windows", "build_data", code='''def build_data(text, Tx, stride=1):
    starts = list(range(0, max(len(text) - Tx, 0), stride))
    return [text[s:s + Tx] for s in starts], [text[s + Tx] for s in starts]
'''),
    Alternative("fancy_index_vectorize", "vectorize", code='''def vectorize(X, Y, Tx, vocab):
    ids = np.array([[vocab.stoi[c] for c in window] for window in X], dtype=int).reshape(len(X), Tx)
    x = np.eye(len(vocab), dtype=np.bool_)[ids]
    y = np.eye(len(vocab), dtype=np.bool_)[[vocab.stoi[c] for c in Y]].reshape(len(X), len(vocab))
    return x, y
'''),
    Alternative("functional_activation_lstm", "build_lstm_model", code='''def build_lstm_model(Tx, n_tokens, units=128, learning_rate=0.01):
    windows = keras.Input(shape=(Tx, n_tokens))
    state = layers.LSTM(units, return_sequences=False)(windows)
    probas = layers.Activation("softmax")(layers.Dense(n_tokens)(state))
    model = keras.Model(windows, probas)
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
                  loss=keras.losses.CategoricalCrossentropy())
    return model
'''),
    Alternative("power_multinomial", "sample", code='''def sample(preds, temperature, rng):
    p = np.clip(np.asarray(preds, dtype=np.float64), 1e-12, None) ** (1.0 / temperature)
    p = p / p.sum()
    return int(np.argmax(rng.multinomial(1, p)))
'''),
    Alternative("eye_windows_predict", "generate_text", code='''def generate_text(model, vocab, prefix="", n_chars=20, temperature=1.0, seed=0, stop_at_end=False):
    Tx = model.input_shape[1]
    one_hot = np.eye(len(vocab), dtype="float32")
    rng = np.random.default_rng(seed)
    out = list(prefix)
    for _ in range(n_chars):
        window = ([vocab.end] * Tx + out)[-Tx:]
        x = one_hot[[vocab.stoi[c] for c in window]][None]
        index = sample(model.predict_on_batch(x)[0], temperature, rng)
        if index == vocab.end_id and stop_at_end:
            break
        out.append(vocab.itos[index])
    return "".join(out)
'''),
    Alternative("softmax_in_call", "CharRNNCell", (
        ('self.get_probas = layers.Dense(n_tokens, activation="softmax")',
         "self.get_probas = layers.Dense(n_tokens)  # logits; the softmax is applied in call"),
        ("return self.get_probas(h_next), [h_next]", "return ops.softmax(self.get_probas(h_next), axis=-1), [h_next]"),
    ), why="Dense gives logits and call applies the softmax"),
    Alternative("inverse_cdf_name", "generate_sample", code='''def generate_sample(model, vocab, seed_phrase="", max_length=20, temperature=1.0, seed=0):
    rng = np.random.default_rng(seed)
    ids = [vocab.end_id] + [vocab.stoi[c] for c in seed_phrase]
    for _ in range(max_length - len(seed_phrase)):
        log_p = np.log(np.clip(ops.convert_to_numpy(model(np.array([ids])))[0, -1].astype(float), 1e-30, 1.0)) / temperature
        cdf = np.cumsum(np.exp(log_p - log_p.max()))
        next_id = int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))
        if next_id == vocab.end_id:
            break
        ids.append(next_id)
    return "".join(vocab.itos[i] for i in ids[1:])
'''),
    Alternative("numpy_string_windows", "build_data", code='''def build_data(text, Tx, stride=1):
    starts = np.arange(0, len(text) - Tx, stride)
    X = np.array([text[i:i + Tx] for i in starts], dtype=str)
    Y = np.array([text[i + Tx] for i in starts], dtype=str)
    return X, Y
'''),
    Alternative("dense_then_softmax_layer", "build_lstm_model", code='''def build_lstm_model(Tx, n_tokens, units=128, learning_rate=0.01):
    model = keras.Sequential([keras.Input(shape=(Tx, n_tokens)), layers.LSTM(units), layers.Dense(n_tokens), layers.Softmax()])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate), loss=keras.losses.categorical_crossentropy)
    return model
'''),
    Alternative("numpy_bias_operator", "lstm_step", code='''def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z = ops.matmul(x_t, kernel) + ops.matmul(h_prev, recurrent_kernel) + bias  # NumPy adds the bias (a DeprecationWarning)
    z_i, z_f, z_c, z_o = ops.split(ops.convert_to_tensor(z), 4, axis=-1)
    c_next = ops.sigmoid(z_f) * c_prev + ops.sigmoid(z_i) * ops.tanh(z_c)
    return ops.sigmoid(z_o) * ops.tanh(c_next), c_next
'''),
    Alternative("gate_slices", "lstm_step", code='''def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    x_t, h_prev, c_prev = ops.convert_to_tensor(x_t), ops.convert_to_tensor(h_prev), ops.convert_to_tensor(c_prev)
    u = h_prev.shape[-1]
    def gate(k):  # the k-th block of u columns: i, f, c, o
        return ops.matmul(x_t, kernel[:, k * u:(k + 1) * u]) + ops.matmul(h_prev, recurrent_kernel[:, k * u:(k + 1) * u]) + ops.convert_to_tensor(bias[k * u:(k + 1) * u])
    input_gate, forget_gate, candidate, output_gate = ops.sigmoid(gate(0)), ops.sigmoid(gate(1)), ops.tanh(gate(2)), ops.sigmoid(gate(3))
    c_next = forget_gate * c_prev + input_gate * candidate
    h_next = output_gate * ops.tanh(c_next)
    return h_next, c_next
'''),
    Alternative("per_gate_backward", "lstm_step_backward", code='''def lstm_step_backward(dh_next, dc_next, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    u = h_prev.shape[1]
    z = x_t @ kernel + h_prev @ recurrent_kernel + bias
    sig = lambda a: 0.5 * (1 + np.tanh(0.5 * a))
    i, f, g, o = sig(z[:, :u]), sig(z[:, u:2 * u]), np.tanh(z[:, 2 * u:3 * u]), sig(z[:, 3 * u:])
    c = f * c_prev + i * g
    do = dh_next * np.tanh(c)
    dc = dc_next + dh_next * o * (1 - np.tanh(c) ** 2)
    di, df, dg = dc * g, dc * c_prev, dc * i
    dz = np.zeros_like(z)
    dz[:, :u], dz[:, u:2 * u] = di * i * (1 - i), df * f * (1 - f)
    dz[:, 2 * u:3 * u], dz[:, 3 * u:] = dg * (1 - g * g), do * o * (1 - o)
    return dict(dx_t=dz @ kernel.T, dh_prev=dz @ recurrent_kernel.T, dc_prev=f * dc,
                dkernel=np.einsum("mi,mj->ij", x_t, dz), drecurrent_kernel=np.einsum("mi,mj->ij", h_prev, dz), dbias=np.einsum("mj->j", dz))
'''),
    Alternative("loop_streams", "stream_batches", code='''def stream_batches(ids, batch_size, seq_len):
    n = (len(ids) - 1) // (batch_size * seq_len)
    length = n * seq_len
    inputs = np.zeros((n, batch_size, seq_len), dtype=int)
    targets = np.zeros((n, batch_size, seq_len), dtype=int)
    for j in range(batch_size):
        for k in range(n):
            start = j * length + k * seq_len
            inputs[k, j] = ids[start:start + seq_len]
            targets[k, j] = ids[start + 1:start + seq_len + 1]
    return inputs, targets
'''),
    Alternative("functional_stateful", "build_stateful_lstm", code='''def build_stateful_lstm(batch_size, n_tokens, emb_size=32, units=256, learning_rate=0.005):
    ids = keras.Input(batch_shape=(batch_size, None), dtype="int32")
    states = layers.LSTM(units=units, return_sequences=True, stateful=True, use_cudnn=False)(layers.Embedding(n_tokens, emb_size)(ids))
    probas = layers.Softmax()(layers.Dense(n_tokens)(states))
    model = keras.Model(ids, probas)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss=keras.losses.SparseCategoricalCrossentropy())
    return model
'''),
    Alternative("prefix_char_by_char", "generate_poem", code='''def generate_poem(model, vocab, prefix, n_chars=300, temperature=0.5, seed=0):
    text = "".join(filter(lambda c: c in vocab.stoi, prefix.lower()))
    rng = np.random.default_rng(seed)
    reset_states(model)
    for char in vocab.end + text:  # the prefix one id at a time: the state carries it all the same
        preds = ops.convert_to_numpy(model(np.array([[vocab.stoi[char]]])))[0, -1]
    for _ in range(n_chars):
        index = sample(preds, temperature, rng)
        text += vocab.itos[index]
        preds = ops.convert_to_numpy(model.predict_on_batch(np.array([[index]])))[0, -1]
    return text
'''),
    Alternative("tqdm_poem", "generate_poem", code='''def generate_poem(model, vocab, prefix, n_chars=300, temperature=0.5, seed=0):
    from tqdm import tqdm  # a plain progress bar: it writes to stderr, which must not cost points
    text = "".join(c for c in prefix.lower() if c in vocab.stoi)
    rng = np.random.default_rng(seed)
    reset_states(model)
    preds = ops.convert_to_numpy(model(np.array([[vocab.end_id] + vocab.encode(text, add_end=False)])))[0, -1]
    for _ in tqdm(range(n_chars), desc="poem"):
        index = sample(preds, temperature, rng)
        text += vocab.itos[index]
        preds = ops.convert_to_numpy(model(np.array([[index]])))[0, -1]
    return text
'''),
    Alternative("reread_after_reset", "generate_poem", code='''def generate_poem(model, vocab, prefix, n_chars=300, temperature=0.5, seed=0):
    clean = "".join(c for c in prefix.lower() if c in vocab.stoi)
    rng = np.random.default_rng(seed)
    text = clean
    for _ in range(n_chars):  # slow but right: read everything again from a zero state
        reset_states(model)
        preds = ops.convert_to_numpy(model(np.array([[vocab.end_id] + vocab.encode(text, add_end=False)])))[0, -1]
        text += vocab.itos[sample(preds, temperature, rng)]
    return text
'''),
]

# the demo class: one student per mistake
DEMO = ["return_sequences_true", "temperature_on_probs", "padding_not_masked"]
