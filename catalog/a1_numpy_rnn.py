"""Mistake catalog and alternative solutions for a1_numpy_rnn.

Each Mistake must lose points in its own exercise and nowhere else; each Alternative must keep
full marks. tests/test_catalogs.py checks both with the fast harness, and a few through nbgrader.
"""

from rnncourse.grading.variants import Alternative, Mistake

# The classic step-by-step solutions (the reference does the products that do not depend on the
# recurrence once for all steps): most students write these, so mistakes are also made in them.
STEP_LOOP_FORWARD = '''def rnn_forward(X, Y, mask, a0, parameters):
    n_x, m, T_x = X.shape
    n_y = parameters["Wya"].shape[0]
    a = np.zeros((a0.shape[0], m, T_x + 1), dtype=np.result_type(a0, parameters["Wax"]))
    y_hat = np.zeros((n_y, m, T_x), dtype=a.dtype)
    a[:, :, 0] = a0
    for t in range(T_x):
        a[:, :, t + 1], y_hat[:, :, t] = rnn_step_forward(X[:, :, t], a[:, :, t], parameters)
    safe_targets = np.where(mask > 0, Y, 0)
    p_target = np.take_along_axis(y_hat, safe_targets[None], axis=0)[0]
    loss = float(-(np.log(p_target) * mask).sum() / mask.sum())
    return loss, {"a": a, "y_hat": y_hat, "X": X, "Y": Y, "mask": mask}
'''

STEP_LOOP_BACKWARD = '''def rnn_backward(cache, parameters):
    a, y_hat, X, Y, mask = cache["a"], cache["y_hat"], cache["X"], cache["Y"], cache["mask"]
    n_y, m, T_x = y_hat.shape
    dlogits = (y_hat - one_hot(np.where(mask > 0, Y, PAD), n_y, dtype=y_hat.dtype)) * (mask / mask.sum())[None]
    gradients = {"d" + name: np.zeros_like(value) for name, value in parameters.items()}
    da_next = np.zeros_like(a[:, :, 0])
    for t in reversed(range(T_x)):
        step, da_next = rnn_step_backward(dlogits[:, :, t], da_next, X[:, :, t], a[:, :, t + 1], a[:, :, t], parameters)
        for name, value in step.items():
            gradients[name] += value
    gradients["da0"] = da_next
    return gradients
'''

MISTAKES = [
    # build_vocabulary
    Mistake("end_last", "build_vocabulary", (("[END] + chars", "chars + [END]"),), why="END appended last instead of id 0"),
    Mistake("unsorted", "build_vocabulary", (('sorted(set("".join(names)))', 'list(dict.fromkeys("".join(names)))'),),
            why="characters in order of appearance, not sorted"),
    Mistake("no_end_token", "build_vocabulary", (("[END] + chars", "chars"),), why="forgot the end token"),
    Mistake("lowercased", "build_vocabulary", (('set("".join(names))', 'set("".join(names).lower())'),),
            why="lowercased the characters"),
    # bigram_counts
    Mistake("no_start_pair", "bigram_counts", (("ids = [vocab.end_id] + vocab.encode(name)", "ids = vocab.encode(name)"),),
            why="names read as c1 ... cn END: the pair (END, c1) is never counted"),
    Mistake("no_end_pair", "bigram_counts", (("[vocab.end_id] + vocab.encode(name)", "[vocab.end_id] + vocab.encode(name, add_end=False)"),),
            why="names read as END c1 ... cn: the pair (cn, END) is never counted"),
    Mistake("transposed", "bigram_counts", (("counts[current, following] += 1", "counts[following, current] += 1"),),
            why="rows and columns swapped"),
    Mistake("once_per_name", "bigram_counts", (("zip(ids[:-1], ids[1:])", "set(zip(ids[:-1], ids[1:]))"),),
            why="a pair counted once per name however often it occurs"),
    Mistake("smoothed_counts", "bigram_counts", (("np.zeros((len(vocab), len(vocab)), dtype=np.int64)", "np.ones((len(vocab), len(vocab)))"),),
            why="counts started at 1: add-one smoothing done in the wrong exercise"),
    # bigram_nll_from_counts
    Mistake("no_smoothing", "bigram_nll_from_counts", (("smoothed = counts + alpha", "smoothed = counts * 1.0"),),
            why="alpha ignored: unseen pairs get probability 0"),
    Mistake("columns_normalised", "bigram_nll_from_counts", (("smoothed.sum(axis=1, keepdims=True)", "smoothed.sum(axis=0, keepdims=True)"),),
            why="normalised the columns instead of the rows"),
    Mistake("alpha_once_in_denominator", "bigram_nll_from_counts", (("smoothed / smoothed.sum(axis=1, keepdims=True)",
                                                                     "smoothed / (counts.sum(axis=1, keepdims=True) + alpha)"),),
            why="denominator: row sum + alpha instead of + alpha * V"),
    Mistake("per_name_mean", "bigram_nll_from_counts", (
        ("total, pairs = 0.0, 0", "per_name = []"),
        ("""        for current, following in zip(ids[:-1], ids[1:]):
            total -= log_probs[current, following]
            pairs += 1
    nll = total / pairs""", """        per_name.append(-np.mean([log_probs[i, j] for i, j in zip(ids[:-1], ids[1:])]))
    nll = float(np.mean(per_name))"""),
    ), why="averaged per name, not per character"),
    Mistake("end_not_scored", "bigram_nll_from_counts", (("ids = [vocab.end_id] + vocab.encode(name)", "ids = [vocab.end_id] + vocab.encode(name, add_end=False)"),),
            why="the last pair (cn, END) not scored"),
    Mistake("counts_smoothed_in_place", "bigram_nll_from_counts", (("    smoothed = counts + alpha\n",
                                                                    "    smoothed = np.asarray(counts, dtype=float)\n    smoothed += alpha\n"),),
            why="float counts smoothed in place: the caller's counts change"),
    # initialize_parameters
    Mistake("seed_ignored", "initialize_parameters", (("default_rng(seed)", "default_rng()"),), why="unseeded generator"),
    Mistake("unscaled", "initialize_parameters", (("(n_a, n_x)) / np.sqrt(n_x)", "(n_a, n_x))"),), why="Wax not scaled"),
    Mistake("wrong_fan_in", "initialize_parameters", (("(n_a, n_x)) / np.sqrt(n_x)", "(n_a, n_x)) / np.sqrt(n_a)"),),
            why="Wax scaled by the wrong fan-in"),
    Mistake("flat_bias", "initialize_parameters", (('"ba": np.zeros((n_a, 1))', '"ba": np.zeros(n_a)'),), why="ba of shape (n_a,)"),
    # softmax
    Mistake("wrong_axis", "softmax", code="def softmax(z):\n    e = np.exp(z - z.max(axis=1, keepdims=True))\n    return e / e.sum(axis=1, keepdims=True)\n",
            why="normalised rows instead of columns"),
    Mistake("no_shift", "softmax", (("np.exp(z - z.max(axis=0, keepdims=True))", "np.exp(z)"),), why="no max shift: overflows"),
    Mistake("global_max", "softmax", (("z.max(axis=0, keepdims=True)", "z.max()"),), why="shifted by the global maximum"),
    Mistake("sum_all", "softmax", (("e.sum(axis=0, keepdims=True)", "e.sum()"),), why="divided by the sum of the whole array"),
    Mistake("in_place", "softmax", code="def softmax(z):\n    z -= z.max(axis=0, keepdims=True)\n    np.exp(z, out=z)\n"
                                         "    z /= z.sum(axis=0, keepdims=True)\n    return z\n",
            why="right values, but computed in the caller's array: its input is overwritten"),
    Mistake("row_sums_broadcast", "softmax", (("e /= e.sum(axis=0, keepdims=True)", "e /= e.sum(axis=1)"),),
            why="row sums without keepdims: numpy raises a broadcast ValueError, which now comes with a hint"),
    # rnn_step_forward
    Mistake("no_tanh", "rnn_step_forward", (("np.tanh(", "("),), why="no tanh"),
    Mistake("no_bias", "rnn_step_forward", ((' + parameters["ba"]', ""),), why="forgot ba"),
    Mistake("output_from_prev", "rnn_step_forward", (('parameters["Wya"] @ a_next', 'parameters["Wya"] @ a_prev'),),
            why="prediction from the previous state"),
    Mistake("relu", "rnn_step_forward", (("np.tanh(", "np.maximum(0, "),), why="ReLU instead of tanh"),
    # rnn_forward
    Mistake("unmasked_loss", "rnn_forward", (("(np.log(p_target) * mask).sum() / mask.sum()", "np.log(p_target).sum() / p_target.size"),),
            why="padding counted in the loss"),
    Mistake("per_name_loss", "rnn_forward", (("* mask).sum() / mask.sum()", "* mask).sum() / m"),), why="loss per name, not per character"),
    Mistake("a0_ignored", "rnn_forward", (("states[:, 0] = a0", "states[:, 0] = 0"),), why="started from zeros instead of a0"),
    Mistake("a0_ignored_step_loop", "rnn_forward", code=STEP_LOOP_FORWARD.replace("a[:, :, 0] = a0", "a[:, :, 0] = 0"),
            why="started from zeros instead of a0, in a loop over rnn_step_forward"),
    Mistake("state_not_carried", "rnn_forward", (("z = parameters[\"Waa\"] @ states[:, t]", "z = parameters[\"Waa\"] @ states[:, 0]"),),
            why="every step reads a0 instead of the previous state: each prediction sees only its own input"),
    Mistake("zero_state_each_step", "rnn_forward", code=STEP_LOOP_FORWARD.replace("rnn_step_forward(X[:, :, t], a[:, :, t], parameters)",
                                                                                  "rnn_step_forward(X[:, :, t], np.zeros_like(a0), parameters)"),
            why="a zero state at every step, in a loop over rnn_step_forward: the model sees only the last character"),
    Mistake("targets_padded_in_place", "rnn_forward", (("    safe_targets = np.where(mask > 0, Y, 0)\n", "    Y[mask == 0] = 0\n    safe_targets = Y\n"),),
            why="replaced the padding of the caller's Y by 0, in place"),
    Mistake("targets_shifted", "rnn_forward", (("np.where(mask > 0, Y, 0)", "np.where(mask > 0, np.roll(Y, -1, axis=1), 0)"),),
            why="targets off by one"),
    # rnn_step_backward
    Mistake("no_tanh_derivative", "rnn_step_backward", (("dz = (1 - a_next ** 2) * da", "dz = da"),), why="forgot tanh'"),
    Mistake("derivative_at_prev", "rnn_step_backward", (("(1 - a_next ** 2)", "(1 - a_prev ** 2)"),), why="tanh' at the wrong state"),
    Mistake("no_da_next", "rnn_step_backward", (('parameters["Wya"].T @ dy + da_next', 'parameters["Wya"].T @ dy'),),
            why="ignored the gradient from later steps"),
    Mistake("dWaa_from_next", "rnn_step_backward", (('"dWaa": dz @ a_prev.T', '"dWaa": dz @ a_next.T'),), why="dWaa with a_next"),
    # rnn_backward
    Mistake("overwrite", "rnn_backward", code=STEP_LOOP_BACKWARD.replace("gradients[name] += value", "gradients[name] = value"),
            why="gradients overwritten rather than accumulated over time"),
    Mistake("unmasked_dy", "rnn_backward", (("dy = y_hat.transpose(0, 2, 1) * weight", "dy = y_hat.transpose(0, 2, 1) / mask.sum()"),),
            why="padded steps left unmasked"),
    Mistake("forward_order", "rnn_backward", (("reversed(range(T_x))", "range(T_x)"),), why="walked the steps forwards"),
    Mistake("unnormalised", "rnn_backward", (("weight = mask.T / mask.sum()", "weight = mask.T"),), why="forgot to divide by the count"),
    Mistake("da_next_dropped", "rnn_backward", (("        dz[:, t] += da_next\n", ""),), why="truncated: no gradient through time"),
    Mistake("derivative_at_prev", "rnn_backward", (("1 - states[:, t + 1] ** 2", "1 - states[:, t] ** 2"),),
            why="tanh' at the states each step read, not the ones it produced"),
    Mistake("da0_zero", "rnn_backward", (('gradients["da0"] = da_next', 'gradients["da0"] = np.zeros_like(da_next)'),),
            why="da0 left at zeros"),
    Mistake("dWaa_from_next", "rnn_backward", (('gradients["dWaa"] = dz @ states[:, :-1]', 'gradients["dWaa"] = dz @ states[:, 1:]'),),
            why="dWaa with the states each step produced instead of those it read"),
    Mistake("dy_built_in_cache", "rnn_backward", code=STEP_LOOP_BACKWARD.replace(
                "    dlogits = (y_hat - one_hot(np.where(mask > 0, Y, PAD), n_y, dtype=y_hat.dtype)) * (mask / mask.sum())[None]\n",
                "    dlogits = y_hat\n    dlogits -= one_hot(np.where(mask > 0, Y, PAD), n_y, dtype=y_hat.dtype)\n    dlogits *= (mask / mask.sum())[None]\n"),
            why="right gradients, but dy computed in the cache's y_hat, which the caller still holds"),
    Mistake("da_next_dropped_step_loop", "rnn_backward", code=STEP_LOOP_BACKWARD.replace("da_next, X[:, :, t]", "np.zeros_like(da_next), X[:, :, t]"),
            why="truncated, in a loop over rnn_step_backward"),
    # numerical_gradient
    Mistake("one_sided", "numerical_gradient", (
        ("""        x[index] = original - eps
        f_minus = f(x)
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * eps)""", """        x[index] = original
        grad[index] = (f_plus - f(x)) / eps"""),
    ), why="one-sided difference"),
    Mistake("not_restored", "numerical_gradient", (("        x[index] = original\n", ""),), why="x left perturbed"),
    Mistake("no_factor_two", "numerical_gradient", (("/ (2 * eps)", "/ eps"),), why="divided by eps instead of 2 eps"),
    Mistake("rows_only", "numerical_gradient", code='''def numerical_gradient(f, x, eps=1e-5):
    grad = np.zeros(x.shape)
    for i in range(x.shape[0]):
        original = x[i].copy()
        x[i] = original + eps
        f_plus = f(x)
        x[i] = original - eps
        f_minus = f(x)
        x[i] = original
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad
''', why="perturbed whole rows"),
    Mistake("perturbed_copy", "numerical_gradient", (("    grad = np.zeros(x.shape)\n", "    grad = np.zeros(x.shape)\n    x = x.copy()\n"),),
            why="perturbed a copy of x: a function that reads x through a closure never sees the change"),
    # clip
    Mistake("clipped_a_copy", "clip", code='''def clip(gradients, max_value):
    for value in gradients.values():
        value = np.clip(value, -max_value, max_value)
    return gradients
''', why="clipping a copy"),
    Mistake("upper_only", "clip", (("np.clip(value, -max_value, max_value)", "np.minimum(value, max_value)"),), why="one-sided clip"),
    Mistake("weights_only", "clip", code='''def clip(gradients, max_value):
    for name in ("dWax", "dWaa", "dWya"):
        gradients[name] = np.clip(gradients[name], -max_value, max_value)
    return gradients
''', why="only the weight gradients clipped: biases left as they are, and a KeyError when a weight gradient is missing"),
    Mistake("norm_clip", "clip", code='''def clip(gradients, max_value):
    clipped = {}
    for name, value in gradients.items():
        norm = np.linalg.norm(value)
        clipped[name] = value * (max_value / norm) if norm > max_value else value
    return clipped
''', why="clipped by norm instead of element-wise"),
    # clip_by_norm
    Mistake("per_array_norm", "clip_by_norm", code='''def clip_by_norm(gradients, max_norm):
    clipped = {}
    for name, value in gradients.items():
        norm = np.linalg.norm(value)
        clipped[name] = value * (max_norm / norm) if norm > max_norm else value.copy()
    return clipped
''', why="each array clipped by its own norm, not the global one"),
    Mistake("always_rescaled", "clip_by_norm", (("max_norm / norm if norm > max_norm else 1.0", "max_norm / norm"),),
            why="small gradients scaled up to max_norm too (and 0/0 for zero gradients)"),
    Mistake("no_square_root", "clip_by_norm", (("np.sqrt(sum(np.sum(value ** 2) for value in gradients.values()))",
                                                "sum(np.sum(value ** 2) for value in gradients.values())"),),
            why="compared the sum of squares with max_norm"),
    Mistake("largest_entry", "clip_by_norm", (("np.sqrt(sum(np.sum(value ** 2) for value in gradients.values()))",
                                               "max(np.abs(value).max() for value in gradients.values())"),),
            why="the largest entry used as the norm"),
    Mistake("scaled_in_place", "clip_by_norm", (("    clipped = {name: value * scale for name, value in gradients.items()}\n",
                                                 "    for value in gradients.values():\n        value *= scale\n    clipped = gradients\n"),),
            why="rescaled the caller's arrays in place"),
    # update_parameters
    Mistake("ascent", "update_parameters", (("value - learning_rate", "value + learning_rate"),), why="gradient ascent"),
    Mistake("fixed_lr", "update_parameters", (("value - learning_rate *", "value - 0.01 *"),), why="learning rate ignored"),
    Mistake("weights_only", "update_parameters", code='''def update_parameters(parameters, gradients, learning_rate):
    for name in ("Wax", "Waa", "Wya"):
        parameters[name] = parameters[name] - learning_rate * gradients["d" + name]
    return parameters
''', why="biases not updated"),
    Mistake("loops_over_gradients", "update_parameters", code='''def update_parameters(parameters, gradients, learning_rate):
    updated = dict(parameters)
    for name, gradient in gradients.items():
        updated[name[1:]] = parameters.get(name[1:], 0.0) - learning_rate * gradient
    return updated
''', why="looped over the gradients: da0 adds a parameter a0"),
    Mistake("gradients_scaled_in_place", "update_parameters", code='''def update_parameters(parameters, gradients, learning_rate):
    for name in parameters:
        step = gradients["d" + name]
        step *= learning_rate
        parameters[name] = parameters[name] - step
    return parameters
''', why="scaled the caller's gradients in place by the learning rate"),
    # optimize
    Mistake("no_clip", "optimize", (("clip(rnn_backward(cache, parameters), max_value)", "rnn_backward(cache, parameters)"),),
            why="forgot to clip"),
    Mistake("returns_a0", "optimize", (('cache["a"][:, :, -1]', 'cache["a"][:, :, 0]'),), why="returned the initial state"),
    Mistake("update_result_dropped", "optimize", (("parameters = update(parameters, gradients, learning_rate)",
                                                   "update_parameters(parameters, gradients, learning_rate)"),),
            why="ignored `update` and its result"),
    Mistake("clip_after_update", "optimize", (("    gradients = clip(rnn_backward(cache, parameters), max_value)\n    parameters = update(parameters, gradients, learning_rate)\n",
                                               "    gradients = rnn_backward(cache, parameters)\n    parameters = update(parameters, gradients, learning_rate)\n    gradients = clip(gradients, max_value)\n"),),
            why="updated with unclipped gradients"),
    # sample
    Mistake("argmax", "sample", (("int(rng.choice(n_y, p=probs / probs.sum()))", "int(np.argmax(probs))"),), why="argmax instead of sampling"),
    Mistake("seed_ignored", "sample", (("default_rng(seed)", "default_rng()"),), why="a seed that is ignored"),
    Mistake("temperature_on_probs", "sample", (('softmax((parameters["Wya"] @ a + parameters["by"]) / temperature)',
                                                '(softmax(parameters["Wya"] @ a + parameters["by"]) / temperature)'),),
            why="probabilities divided by the temperature: renormalised, the temperature has no effect"),
    Mistake("no_feedback", "sample", (("        x = np.zeros((n_x, 1))\n        x[idx] = 1\n", ""),), why="sampled character not fed back"),
    Mistake("state_reset", "sample", (('parameters["Waa"] @ a', 'parameters["Waa"] @ np.zeros((n_a, 1))'),), why="hidden state not carried"),
    Mistake("no_stop", "sample", (("        if idx == end_ix:\n            break\n", ""),), why="does not stop at END"),
    Mistake("reseeded_in_loop", "sample", (("    rng = np.random.default_rng(seed)\n", ""),
                                           ("        idx = int(rng.choice(", "        rng = np.random.default_rng(seed)\n        idx = int(rng.choice(")),
            why="a fresh generator at every step: every draw of a name uses the same random number"),
    Mistake("wrong_key", "sample", (('n_y, n_a = parameters["Wya"].shape', 'n_y, n_a = parameters["Wy"].shape'),),
            why="a misspelt parameter name: KeyError, which now comes with a hint"),
    Mistake("one_uniform_per_name", "sample", code='''def sample(parameters, end_ix, max_length=20, temperature=1.0, seed=0):
    rng = np.random.default_rng(seed)
    u = rng.random()   # one random number, reused at every step
    n_y, n_a = parameters["Wya"].shape
    x, a, ids = np.zeros((parameters["Wax"].shape[1], 1)), np.zeros((n_a, 1)), []
    x[end_ix] = 1
    while len(ids) < max_length:
        a = np.tanh(parameters["Wax"] @ x + parameters["Waa"] @ a + parameters["ba"])
        probs = softmax((parameters["Wya"] @ a + parameters["by"]) / temperature).ravel()
        idx = int(min(np.searchsorted(np.cumsum(probs), u), n_y - 1))
        ids.append(idx)
        if idx == end_ix:
            break
        x = np.zeros_like(x)
        x[idx] = 1
    return ids
''', why="one uniform number drawn per name and reused at every step"),
    Mistake("argmax_after_first", "sample", (("        idx = int(rng.choice(n_y, p=probs / probs.sum()))\n",
                                              "        idx = int(rng.choice(n_y, p=probs / probs.sum())) if not ids else int(np.argmax(probs))\n"),),
            why="only the first character drawn at random, the rest by argmax"),
    # model
    Mistake("seed_ignored", "model", (("minibatches(train_names, vocab, batch_size, np.random.default_rng(seed))",
                                       "minibatches(train_names, vocab, batch_size, np.random.default_rng())"),), why="unseeded batches"),
    Mistake("parameters_dropped", "model", (("loss, gradients, parameters, _ = optimize(", "loss, gradients, _, _ = optimize("),),
            why="kept the initial parameters"),
    Mistake("fixed_lr", "model", (("learning_rate, max_value, update)", "0.01, max_value, update)"),), why="learning rate not passed"),
    Mistake("dtype_ignored", "model", (("value.astype(dtype)", "value"),), why="dtype ignored"),
    Mistake("same_batch", "model", (("        inputs, targets, mask = next(batches)\n",
                                     "        inputs, targets, mask = next(minibatches(train_names, vocab, batch_size, np.random.default_rng(seed)))\n"),),
            why="a new minibatch stream every step: trains on the first batch again and again"),
    Mistake("state_carried", "model", (("        a0 = np.zeros((n_a, inputs.shape[0]), dtype=dtype)\n        loss, gradients, parameters, _ = optimize(",
                                        "        if iteration == 1 or a_last.shape[1] != inputs.shape[0]:\n"
                                        "            a_last = np.zeros((n_a, inputs.shape[0]), dtype=dtype)\n"
                                        "        a0 = a_last\n        loss, gradients, parameters, a_last = optimize("),),
            why="the hidden state carried from one minibatch of names to the next"),
    Mistake("a0_of_batch_size", "model", (("np.zeros((n_a, inputs.shape[0]), dtype=dtype)", "np.zeros((n_a, batch_size), dtype=dtype)"),),
            why="a0 with batch_size columns: breaks on the shorter last batch of a pass"),
    Mistake("weights_seed_fixed", "model", (("initialize_parameters(n_a, n_x, n_y, seed)", "initialize_parameters(n_a, n_x, n_y, 0)"),),
            why="initial weights always from seed 0"),
    Mistake("stop_ignored", "model", (("        if callback is not None and callback(iteration, loss, gradients, parameters):\n            break\n",
                                       "        if callback is not None:\n            callback(iteration, loss, gradients, parameters)\n"),),
            why="the callback's True does not stop training"),
    Mistake("callback_from_zero", "model", (("callback(iteration, loss, gradients, parameters):\n            break", "callback(iteration - 1, loss, gradients, parameters):\n            break"),),
            why="the callback's iterations counted from 0"),
    # found in review: the norm of the list of arrays
    Mistake("norm_of_the_list", "clip_by_norm", (("np.sqrt(sum(np.sum(value ** 2) for value in gradients.values()))",
                                                  "np.linalg.norm(list(gradients.values()))"),),
            why="np.linalg.norm of the list of arrays: they have different shapes"),
]

ALTERNATIVES = [
    Alternative("np_unique_vocabulary", "build_vocabulary", code='''def build_vocabulary(names):
    chars = np.unique(list("".join(names)))          # numpy.str_ values, sorted
    char_to_ix = {END: 0, **{c: i + 1 for i, c in enumerate(chars)}}
    ix_to_char = {i: c for c, i in char_to_ix.items()}
    return char_to_ix, ix_to_char
'''),
    Alternative("loop_vocabulary", "build_vocabulary", code='''def build_vocabulary(names):
    char_to_ix = {END: 0}
    for c in sorted({c for name in names for c in name}):
        char_to_ix[c] = len(char_to_ix)
    ix_to_char = {i: c for c, i in char_to_ix.items()}
    return char_to_ix, ix_to_char
'''),
    Alternative("add_at_counts", "bigram_counts", code='''def bigram_counts(names, vocab):
    inputs, targets, mask = pad_batch(names, vocab)
    counts = np.zeros((len(vocab), len(vocab)))
    real = mask > 0
    np.add.at(counts, (inputs[real], targets[real]), 1)
    return counts
'''),
    Alternative("dataset_nll_bigram", "bigram_nll_from_counts", code='''def bigram_nll_from_counts(counts, names, vocab, alpha=1.0):
    log_probs = np.log(counts + alpha) - np.log(np.sum(counts + alpha, axis=1, keepdims=True))
    return dataset_nll(lambda inputs: log_probs[np.where(inputs >= 0, inputs, 0)], names, vocab)
'''),
    Alternative("normal_with_scale", "initialize_parameters", code='''def initialize_parameters(n_a, n_x, n_y, seed):
    rng = np.random.default_rng(seed)
    Wax = rng.normal(0.0, 1.0 / np.sqrt(n_x), size=(n_a, n_x))
    Waa = rng.normal(0.0, 1.0 / np.sqrt(n_a), size=(n_a, n_a))
    Wya = rng.normal(0.0, 1.0 / np.sqrt(n_a), size=(n_y, n_a))
    return dict(Wax=Wax, Waa=Waa, Wya=Wya, ba=np.zeros((n_a, 1)), by=np.zeros((n_y, 1)))
'''),
    Alternative("column_loop_softmax", "softmax", code='''def softmax(z):
    out = np.empty_like(z, dtype=float)
    for j in range(z.shape[1]):
        col = z[:, j] - np.max(z[:, j])
        out[:, j] = np.exp(col) / np.sum(np.exp(col))
    return out
'''),
    Alternative("logsumexp_softmax", "softmax", code='''def softmax(z):
    m = np.max(z, axis=0)
    return np.exp(z - m - np.log(np.sum(np.exp(z - m), axis=0)))
'''),
    Alternative("row_stack_softmax", "softmax", code='''def softmax(z):
    e = np.exp(z - np.max(z, axis=0))
    totals = e.sum(axis=0)
    return np.row_stack([row / totals for row in e])   # np.row_stack warns: DeprecationWarning from this line
'''),
    Alternative("einsum_step", "rnn_step_forward", code='''def rnn_step_forward(xt, a_prev, parameters):
    z = np.einsum("ij,jm->im", parameters["Wax"], xt) + np.einsum("ij,jm->im", parameters["Waa"], a_prev) + parameters["ba"]
    a_next = np.tanh(z)
    y_hat = softmax(np.einsum("ij,jm->im", parameters["Wya"], a_next) + parameters["by"])
    return a_next, y_hat
'''),
    Alternative("loop_loss", "rnn_forward", code='''def rnn_forward(X, Y, mask, a0, parameters):
    n_x, m, T_x = X.shape
    a = np.zeros((a0.shape[0], m, T_x + 1))
    y_hat = np.zeros((parameters["Wya"].shape[0], m, T_x))
    a[:, :, 0] = a0
    total, count = 0.0, 0.0
    for t in range(T_x):
        a[:, :, t + 1], y_hat[:, :, t] = rnn_step_forward(X[:, :, t], a[:, :, t], parameters)
        for j in range(m):
            if mask[j, t]:
                total -= np.log(y_hat[Y[j, t], j, t])
                count += 1
    return total / count, {"a": a, "y_hat": y_hat, "X": X, "Y": Y, "mask": mask}
'''),
    Alternative("step_loop_forward", "rnn_forward", code=STEP_LOOP_FORWARD),
    Alternative("step_loop_backward", "rnn_backward", code=STEP_LOOP_BACKWARD),
    Alternative("outer_products_step_backward", "rnn_step_backward", code='''def rnn_step_backward(dy, da_next, xt, a_next, a_prev, parameters):
    m = dy.shape[1]
    dz = (1 - np.tanh(np.arctanh(np.clip(a_next, -1 + 1e-15, 1 - 1e-15))) ** 2) * (parameters["Wya"].T @ dy + da_next)
    grads = {"dWax": sum(np.outer(dz[:, j], xt[:, j]) for j in range(m)),
             "dWaa": sum(np.outer(dz[:, j], a_prev[:, j]) for j in range(m)),
             "dWya": sum(np.outer(dy[:, j], a_next[:, j]) for j in range(m)),
             "dba": dz.sum(axis=1).reshape(-1, 1), "dby": dy.sum(axis=1).reshape(-1, 1)}
    return grads, parameters["Waa"].T @ dz
'''),
    Alternative("add_at_backward", "rnn_backward", code='''def rnn_backward(cache, parameters):
    a, y_hat, X, Y, mask = cache["a"], cache["y_hat"], cache["X"], cache["Y"], cache["mask"]
    n_y, m, T_x = y_hat.shape
    dlogits = y_hat.copy()
    jj, tt = np.nonzero(mask)
    np.add.at(dlogits, (Y[jj, tt], jj, tt), -1.0)
    dlogits = dlogits * mask[None] / np.sum(mask)
    gradients = {"dWax": 0, "dWaa": 0, "dWya": 0, "dba": 0, "dby": 0}
    da = np.zeros(a[:, :, 0].shape)
    for t in range(T_x - 1, -1, -1):
        step, da = rnn_step_backward(dlogits[:, :, t], da, X[:, :, t], a[:, :, t + 1], a[:, :, t], parameters)
        gradients = {k: gradients[k] + step[k] for k in gradients}
    gradients["da0"] = da
    return gradients
'''),
    Alternative("flat_view_gradient", "numerical_gradient", code='''def numerical_gradient(f, x, eps=1e-5):
    flat = x.reshape(-1)   # a view: writing to it perturbs x
    grad = np.zeros(flat.size)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + eps
        up = f(x)
        flat[i] = keep - eps
        down = f(x)
        flat[i] = keep
        grad[i] = (up - down) / (2 * eps)
    return grad.reshape(x.shape)
'''),
    Alternative("in_place_clip", "clip", code='''def clip(gradients, max_value):
    for value in gradients.values():
        np.clip(value, -max_value, max_value, out=value)
    return gradients
'''),
    Alternative("concatenated_norm", "clip_by_norm", code='''def clip_by_norm(gradients, max_norm):
    total = np.linalg.norm(np.concatenate([g.ravel() for g in gradients.values()]))
    factor = min(1.0, max_norm / (total + 1e-12))
    return {k: g.copy() * factor for k, g in gradients.items()}
'''),
    Alternative("in_place_update", "update_parameters", code='''def update_parameters(parameters, gradients, learning_rate):
    for name in parameters:
        parameters[name] -= learning_rate * gradients["d" + name]
    return parameters
'''),
    Alternative("inverse_cdf_sample", "sample", code='''def sample(parameters, end_ix, max_length=20, temperature=1.0, seed=0):
    rng = np.random.default_rng(seed)
    n_x = parameters["Wax"].shape[1]
    a = np.zeros((parameters["Waa"].shape[0], 1))
    idx, ids = end_ix, []
    for _ in range(max_length):
        x = np.zeros((n_x, 1))
        x[idx] = 1
        a, probs = rnn_step_forward(x, a, parameters)
        p = probs.ravel() ** (1.0 / temperature)   # same as softmax(logits / temperature)
        idx = int(np.searchsorted(np.cumsum(p / p.sum()), rng.random() * (1 - 1e-12)))
        ids.append(idx)
        if idx == end_ix:
            break
    return ids
'''),
    Alternative("multinomial_sample", "sample", code='''def sample(parameters, end_ix, max_length=20, temperature=1.0, seed=0):
    rng = np.random.default_rng(seed)
    n_x = parameters["Wax"].shape[1]
    a, x, ids = np.zeros((parameters["Waa"].shape[0], 1)), np.eye(n_x)[:, [end_ix]], []
    while len(ids) < max_length:
        a, probs = rnn_step_forward(x, a, parameters)
        logits = np.log(probs.ravel()) / temperature
        p = np.exp(logits - logits.max())
        ids.append(int(np.argmax(rng.multinomial(1, p / p.sum()))))   # one draw from a multinomial
        if ids[-1] == end_ix:
            break
        x = np.eye(n_x)[:, [ids[-1]]]
    return ids
'''),
    Alternative("gumbel_max_sample", "sample", code='''def sample(parameters, end_ix, max_length=20, temperature=1.0, seed=0):
    rng = np.random.default_rng(seed)
    n_x = parameters["Wax"].shape[1]
    a = np.zeros((parameters["Waa"].shape[0], 1))
    ids = [end_ix]
    while len(ids) <= max_length and (len(ids) == 1 or ids[-1] != end_ix):
        x = np.zeros((n_x, 1))
        x[ids[-1]] = 1
        a = np.tanh(parameters["Wax"] @ x + parameters["Waa"] @ a + parameters["ba"])
        logits = (parameters["Wya"] @ a + parameters["by"]).ravel() / temperature
        ids.append(int(np.argmax(logits + rng.gumbel(size=logits.shape))))   # the Gumbel-max trick
    return ids[1:]
'''),
    Alternative("epoch_loop_model", "model", code='''def model(train_names, vocab, n_a=64, num_iterations=1000, batch_size=128, learning_rate=0.01, max_value=5.0,
          seed=0, sample_every=0, update=None, dtype=np.float64, callback=None):
    params = initialize_parameters(n_a, len(vocab), len(vocab), seed)
    params = {k: np.asarray(v, dtype=dtype) for k, v in params.items()}
    rng = np.random.default_rng(seed)
    losses, order, position = [], rng.permutation(len(train_names)), 0
    bar = progress(total=num_iterations)
    while len(losses) < num_iterations:
        if position >= len(order):
            order, position = rng.permutation(len(train_names)), 0
        batch = [train_names[i] for i in order[position:position + batch_size]]
        position += batch_size
        inputs, targets, mask = pad_batch(batch, vocab)
        loss, grads, params, _ = optimize(one_hot(inputs, len(vocab), dtype), targets, mask.astype(dtype),
                                          np.zeros((n_a, len(batch)), dtype), params, learning_rate, max_value, update)
        losses.append(float(loss))
        bar.update(1)
        if sample_every and len(losses) % sample_every == 0:
            print(len(losses), [vocab.decode(sample(params, vocab.end_id, seed=s)) for s in range(3)])
        if callback and callback(len(losses), loss, grads, params):
            break
    bar.close()
    return params, losses
'''),
]

ALTERNATIVES.append(Alternative("plain_tqdm_model", "model", code=ALTERNATIVES[-1].code.replace(
    "    bar = progress(total=num_iterations)\n", "    from tqdm import tqdm\n    bar = tqdm(total=num_iterations)   # a plain bar: it writes to stderr\n")))

# the demo class: one student per mistake
DEMO = ["no_tanh", "overwrite", "argmax"]
