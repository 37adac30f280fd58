"""Mistake catalog and alternative solutions for a3_torch_rnn.

Each Mistake must lose points in its own exercise and nowhere else; each Alternative must keep
full marks. tests/test_catalogs.py checks both with the fast harness, and a few through nbgrader.
"""

from rnncourse.grading.variants import Alternative, Mistake

# A loop that fills a result allocated at the first step (the mistake: allocated on the CPU).
PREALLOCATED_RNN_LOOP = '''def rnn_loop(model, batch_ix):
    m, T = batch_ix.shape
    state = model.initial_state(m)
    log_probs = None
    for t in range(T):
        log_probs_t, state = model(batch_ix[:, t], state)
        if log_probs is None:
            log_probs = torch.zeros(m, T, log_probs_t.shape[-1])
        log_probs[:, t] = log_probs_t
    return log_probs
'''

MISTAKES = [
    # to_matrix
    Mistake("pad_with_end", "to_matrix", (("torch.full((len(rows), T), PAD,", "torch.full((len(rows), T), vocab.end_id,"),),
            why="padded with the END id: padding is then indistinguishable from real tokens"),
    Mistake("no_start_token", "to_matrix", (("rows = [[vocab.end_id] + vocab.encode(name) for name in names]",
                                            "rows = [vocab.encode(name) for name in names]"),), why="forgot the leading END"),
    Mistake("no_end_token", "to_matrix", (("[vocab.end_id] + vocab.encode(name) for", "[vocab.end_id] + vocab.encode(name, add_end=False) for"),),
            why="forgot the closing END: the model never learns to stop"),
    Mistake("max_len_ignored", "to_matrix", (("T = max_len if max_len is not None else max(len(row) for row in rows)",
                                             "T = max(len(row) for row in rows)"),), why="max_len ignored"),
    Mistake("bool_mask", "to_matrix", (("mask = (batch_ix != PAD).float()", "mask = batch_ix != PAD"),), why="a boolean mask"),
    # CharRNNCell
    Mistake("cell_no_tanh", "CharRNNCell", (("h_next = torch.tanh(self.rnn_update(x_and_h))", "h_next = self.rnn_update(x_and_h)"),),
            why="no tanh"),
    Mistake("concat_wrong_dim", "CharRNNCell", (("torch.cat([self.embedding(x_t), h_prev], dim=-1)", "torch.cat([self.embedding(x_t), h_prev], dim=0)"),),
            why="concatenation along the batch dimension"),
    Mistake("concat_order", "CharRNNCell", (("torch.cat([self.embedding(x_t), h_prev], dim=-1)", "torch.cat([h_prev, self.embedding(x_t)], dim=-1)"),),
            why="state before embedding"),
    Mistake("probabilities_not_log", "CharRNNCell", (("F.log_softmax(self.rnn_to_logits(h_next), dim=-1)", "F.softmax(self.rnn_to_logits(h_next), dim=-1)"),),
            why="probabilities instead of log-probabilities"),
    Mistake("logits_from_prev_state", "CharRNNCell", (("self.rnn_to_logits(h_next)", "self.rnn_to_logits(h_prev)"),),
            why="prediction from the previous state"),
    # rnn_loop
    Mistake("loop_state_not_carried", "rnn_loop", (("log_probs_t, state = model(batch_ix[:, t], state)", "log_probs_t, _ = model(batch_ix[:, t], state)"),),
            why="the state is not carried from step to step"),
    Mistake("stack_time_first", "rnn_loop", (("torch.stack(log_probs, dim=1)", "torch.stack(log_probs, dim=0)"),), why="(T, m, V) instead of (m, T, V)"),
    Mistake("first_column_only", "rnn_loop", (("model(batch_ix[:, t], state)", "model(batch_ix[:, 0], state)"),), why="reads column 0 at every step"),
    Mistake("detached_output", "rnn_loop", (("torch.stack(log_probs, dim=1)", "torch.stack(log_probs, dim=1).detach()"),),
            why="detached: no gradient reaches the model"),
    # compute_loss
    Mistake("wrong_shift", "compute_loss", (("targets = batch_ix[:, 1:].clamp(min=0)", "targets = batch_ix[:, :-1].clamp(min=0)"),
                                            ("target_mask = mask[:, 1:]", "target_mask = mask[:, :-1]"),
                                            ("log_probs[:, :-1].gather", "log_probs[:, 1:].gather")),
            why="each prediction scored against the token read one step earlier, a one-step-delay task (the popular notebook's bug)"),
    Mistake("padding_counted", "compute_loss", (("return -(picked * target_mask).sum() / target_mask.sum()", "return -picked.mean()"),),
            why="padding counted in the loss"),
    Mistake("mean_per_name", "compute_loss", (("/ target_mask.sum()", "/ log_probs.shape[0]"),), why="mean over names, not characters"),
    Mistake("mask_not_shifted", "compute_loss", (("target_mask = mask[:, 1:]", "target_mask = mask[:, :-1]"),),
            why="the mask of the inputs, not of the targets"),
    Mistake("loss_as_float", "compute_loss", (("return -(picked * target_mask).sum() / target_mask.sum()",
                                              "return float(-(picked * target_mask).sum() / target_mask.sum())"),),
            why="returned a float: nothing to backpropagate"),
    # new for issue 14 (devices, layer configuration, inputs changed in place), issue 15 (conventions)
    Mistake("cell_state_on_cpu", "CharRNNCell", (("return torch.zeros(batch_size, self.hidden_size, device=self.rnn_update.weight.device)",
                                                 "return torch.zeros(batch_size, self.hidden_size)"),),
            why="the initial state is created on the CPU whatever the weights' device"),
    Mistake("end_as_padding_idx", "CharRNNCell", (("self.embedding = nn.Embedding(num_tokens, embedding_size)",
                                                  "self.embedding = nn.Embedding(num_tokens, embedding_size, padding_idx=0)"),),
            why="padding_idx=0: the embedding of END, the first input of every name, is frozen at zero"),
    Mistake("preallocated_cpu_output", "rnn_loop", code=PREALLOCATED_RNN_LOOP, why="the result is allocated on the CPU whatever the model's device"),
    Mistake("clamp_in_place", "compute_loss", (("targets = batch_ix[:, 1:].clamp(min=0)", "targets = batch_ix[:, 1:].clamp_(min=0)"),),
            why="clamp_ on a view: the caller's batch_ix loses its PAD ids"),
    Mistake("pad_overwritten_in_place", "compute_loss", (("targets = batch_ix[:, 1:].clamp(min=0)",
                                                         "batch_ix[batch_ix == PAD] = 0\n    targets = batch_ix[:, 1:]"),),
            why="replaces PAD by 0 in the caller's batch_ix"),
    Mistake("generator_recreated_each_draw", "generate_sample", (("torch.multinomial(probs, 1, generator=generator)",
                                                                "torch.multinomial(probs, 1, generator=torch.Generator().manual_seed(generator.initial_seed()))"),),
            why="a new generator with the same seed at every draw: the same random number every step"),
    Mistake("global_reseed_each_draw", "generate_sample", (("token = int(torch.multinomial(probs, 1, generator=generator))",
                                                          "torch.manual_seed(0)\n            token = int(torch.multinomial(probs, 1))"),),
            why="re-seeds torch's global generator before every draw, for reproducibility"),
    Mistake("seed_last_char_only", "generate_sample", (("for token in [vocab.end_id] + vocab.encode(seed_phrase, add_end=False):",
                                                      "for token in ([vocab.end_id] + vocab.encode(seed_phrase, add_end=False))[-1:]:"),),
            why="primes the model with the last character only (END and the rest of the seed phrase are not read)"),
    Mistake("seed_state_not_carried", "generate_sample", (("            log_probs, state = step_log_probs(model, torch.tensor([token], device=device), state)\n        for _",
                                                          "            log_probs, state = step_log_probs(model, torch.tensor([token], device=device), None)\n        for _"),),
            why="each character of the seed phrase is read from a fresh state"),
    Mistake("ids_on_global_device", "generate_sample", (("    device = model_device(model)\n", "    device = DEVICE\n"),),
            why="feeds the ids on the notebook's DEVICE, not on the model's device"),
    Mistake("max_length_excludes_seed", "generate_sample", (("range(max_length - len(seed_phrase))", "range(max_length)"),),
            why="max_length new characters after the seed phrase (the seed phrase must count toward max_length)"),
    Mistake("rnn_zero_state_on_cpu", "CharRNNLoop", (("        h_seq, state = self.rnn(self.embedding(batch_ix), state)\n",
                                                     "        if state is None:\n            state = torch.zeros(1, batch_ix.shape[0], self.rnn.hidden_size)\n"
                                                     "        h_seq, state = self.rnn(self.embedding(batch_ix), state)\n"),),
            why="a zero state created on the CPU when none is given"),
    Mistake("lstm_cell_state_on_cpu", "CharLSTMCell", (("h = torch.zeros(batch_size, self.hidden_size, device=self.lstm_to_logits.weight.device)\n"
                                                       "        c = torch.zeros(batch_size, self.hidden_size, device=self.lstm_to_logits.weight.device)",
                                                       "h = torch.zeros(batch_size, self.hidden_size)\n        c = torch.zeros(batch_size, self.hidden_size)"),),
            why="the initial (h, c) is created on the CPU whatever the weights' device"),
    Mistake("pad_as_padding_idx", "CharLSTM", (("self.embedding = nn.Embedding(num_tokens, embedding_size)",
                                               "self.embedding = nn.Embedding(num_tokens, embedding_size, padding_idx=PAD)"),),
            why="padding_idx=PAD (-1) freezes the embedding of the last character of the vocabulary"),
    Mistake("lstm_dropout_not_passed", "CharLSTM", ((", batch_first=True, dropout=dropout)", ", batch_first=True)"),),
            why="no dropout between the LSTM layers"),
    # CharGRUCell
    Mistake("gru_z_swapped", "CharGRUCell", (("h_next = (1 - z) * n + z * h_prev", "h_next = z * n + (1 - z) * h_prev"),),
            why="z weights the candidate (the other textbook convention), not the old state as nn.GRUCell does"),
    Mistake("gru_reset_before_product", "CharGRUCell", (("n = torch.tanh(input_n + r * hidden_n)",
                                                       "n = torch.tanh(input_n + self.hidden_to_gates(r * h_prev).chunk(3, dim=-1)[2])"),),
            why="the reset gate applied to h before the product (the original paper's variant)"),
    Mistake("gru_gate_order", "CharGRUCell", (("hidden_r, hidden_z, hidden_n = self.hidden_to_gates(h_prev).chunk(3, dim=-1)",
                                             "hidden_z, hidden_r, hidden_n = self.hidden_to_gates(h_prev).chunk(3, dim=-1)"),
                                            ("input_r, input_z, input_n = self.input_to_gates", "input_z, input_r, input_n = self.input_to_gates")),
            why="the chunks read in the order z, r, n"),
    Mistake("gru_candidate_sigmoid", "CharGRUCell", (("n = torch.tanh(input_n + r * hidden_n)", "n = torch.sigmoid(input_n + r * hidden_n)"),),
            why="a sigmoid for the candidate"),
    Mistake("gru_state_on_cpu", "CharGRUCell", (("return torch.zeros(batch_size, self.hidden_size, device=self.hidden_to_gates.weight.device)",
                                               "return torch.zeros(batch_size, self.hidden_size)"),),
            why="the initial state is created on the CPU whatever the weights' device"),
    Mistake("gru_logits_from_prev_state", "CharGRUCell", (("self.gru_to_logits(h_next)", "self.gru_to_logits(h_prev)"),),
            why="the prediction reads the previous state"),
    # train
    Mistake("no_zero_grad", "train", (("        optimizer.zero_grad()\n", ""),), why="gradients accumulate over steps"),
    Mistake("optimizer_other_model", "train", (("torch.optim.Adam(model.parameters(), lr=learning_rate)",
                                               "torch.optim.Adam(copy.deepcopy(model).parameters(), lr=learning_rate)"),),
            why="the optimizer steps another model's parameters (the popular notebook's LSTM bug)"),
    Mistake("no_clipping", "train", (("        nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n", ""),), why="no gradient clipping"),
    Mistake("clip_before_backward", "train", (("        loss.backward()\n        nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n",
                                              "        nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n        loss.backward()\n"),),
            why="clipped before the gradients exist"),
    Mistake("learning_rate_ignored", "train", (("lr=learning_rate)", "lr=3e-3)"),), why="fixed learning rate"),
    Mistake("no_schedule", "train", (("        scheduler.step()\n", ""),), why="the schedule never advances"),
    Mistake("left_in_train_mode", "train", (("    model.eval()\n", ""),), why="the model stays in training mode"),
    Mistake("no_train_mode", "train", (("    model.train()\n", ""),),
            why="never switches to training mode: a model handed over in evaluation mode trains without dropout"),
    Mistake("seed_not_set", "train", (("    torch.manual_seed(seed)\n", ""),),
            why="dropout draws from wherever the global generator happens to be: not reproducible"),
    Mistake("batch_not_moved", "train", (("        batch_ix, mask = batch_ix.to(device), mask.to(device)\n", ""),),
            why="batches stay on the CPU: fails on a GPU (found by the device probe, without a GPU)"),
    Mistake("same_batch_every_step", "train", (("    batches = batch_stream(train_names, batch_size, seed)\n",
                                               "    batches = batch_stream(train_names, batch_size, seed)\n    first_batch = next(batches)\n"),
                                              ("to_matrix(next(batches), vocab)", "to_matrix(first_batch, vocab)")),
            why="draws one batch before the loop and trains on it at every step"),
    Mistake("stream_recreated_each_step", "train", (("to_matrix(next(batches), vocab)",
                                                    "to_matrix(next(batch_stream(train_names, batch_size, seed)), vocab)"),),
            why="a new batch stream, re-seeded, at every step: always its first batch"),
    Mistake("state_carried_across_batches", "train", (("    losses = []\n", "    losses, state = [], None\n"),
                                                     ("        loss = compute_loss(sequence_log_probs(model, batch_ix), batch_ix, mask)\n",
                                                      "        if hasattr(model, \"initial_state\"):\n"
                                                      "            log_probs = sequence_log_probs(model, batch_ix)\n"
                                                      "        else:  # carry the state from batch to batch, as truncated BPTT does for one long text\n"
                                                      "            first = state[0] if isinstance(state, tuple) else state\n"
                                                      "            if first is not None and first.shape[1] != batch_ix.shape[0]:\n"
                                                      "                state = None\n"
                                                      "            log_probs, state = model(batch_ix.clamp(min=0), state)\n"
                                                      "            state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()\n"
                                                      "        loss = compute_loss(log_probs, batch_ix, mask)\n")),
            why="carries the recurrent state from one batch of names to the next"),
    Mistake("seed_in_loop", "train", (("    torch.manual_seed(seed)\n", ""),
                                      ("        batch_ix, mask = to_matrix(next(batches), vocab)\n",
                                       "        torch.manual_seed(seed)\n        batch_ix, mask = to_matrix(next(batches), vocab)\n")),
            why="re-seeds torch at every step: every step draws the same dropout mask"),
    Mistake("fixed_seed", "train", (("    torch.manual_seed(seed)\n", "    torch.manual_seed(0)\n"),),
            why="a fixed seed: the seed argument changes only the batches"),
    Mistake("scheduler_before_step", "train", (("        optimizer.step()\n        scheduler.step()\n",
                                               "        scheduler.step()\n        optimizer.step()\n"),),
            why="the schedule advances before the update: the first update is not at learning_rate"),
    Mistake("clip_by_value", "train", (("nn.utils.clip_grad_norm_(model.parameters(), max_norm)",
                                        "nn.utils.clip_grad_value_(model.parameters(), max_norm)"),),
            why="clips each value instead of the norm of all the gradients"),
    Mistake("callback_before_update", "train", (("        optimizer.step()\n        scheduler.step()\n        losses.append(loss.item())\n"
                                                 "        if callback is not None:\n            callback(step + 1, losses[-1])\n",
                                                 "        losses.append(loss.item())\n        if callback is not None:\n"
                                                 "            callback(step + 1, losses[-1])\n        optimizer.step()\n        scheduler.step()\n"),),
            why="calls the callback before the update: fit measures the model one step late"),
    Mistake("losses_as_tensors", "train", (("        losses.append(loss.item())\n", "        losses.append(loss)\n"),),
            why="keeps the loss tensors (and their graphs) instead of floats"),
    Mistake("batches_on_global_device", "train", (("    device = model_device(model)\n", "    device = DEVICE\n"),),
            why="moves the batches to the notebook's DEVICE, not to the model's device"),
    # generate_sample
    Mistake("temperature_ignored", "generate_sample", (("log_probs[0] / temperature", "log_probs[0]"),), why="temperature ignored"),
    Mistake("temperature_multiplied", "generate_sample", (("log_probs[0] / temperature", "log_probs[0] * temperature"),),
            why="multiplied by the temperature"),
    Mistake("greedy", "generate_sample", (("int(torch.multinomial(probs, 1, generator=generator))", "int(torch.argmax(probs))"),),
            why="argmax instead of sampling"),
    Mistake("generator_ignored", "generate_sample", (("torch.multinomial(probs, 1, generator=generator)", "torch.multinomial(probs, 1)"),),
            why="not reproducible: the generator is not used"),
    Mistake("sample_state_reset", "generate_sample", (("generated.append(token)\n            log_probs, state = step_log_probs(model, torch.tensor([token], device=device), state)",
                                                      "generated.append(token)\n            log_probs, state = step_log_probs(model, torch.tensor([token], device=device), None)"),),
            why="the state is not carried while generating"),
    Mistake("seed_phrase_not_fed", "generate_sample", (("[vocab.end_id] + vocab.encode(seed_phrase, add_end=False)", "[vocab.end_id]"),),
            why="the seed phrase does not condition the model"),
    Mistake("seed_phrase_dropped", "generate_sample", (("return seed_phrase + vocab.decode(generated)", "return vocab.decode(generated)"),),
            why="the seed phrase is not part of the result"),
    # CharRNNLoop
    Mistake("not_batch_first", "CharRNNLoop", (("nn.RNN(embedding_size, hidden_size, batch_first=True)", "nn.RNN(embedding_size, hidden_size)"),),
            why="time-first nn.RNN fed batch-first tensors"),
    Mistake("rnn_state_ignored", "CharRNNLoop", (("self.rnn(self.embedding(batch_ix), state)", "self.rnn(self.embedding(batch_ix))"),),
            why="the given state is ignored"),
    Mistake("log_softmax_over_time", "CharRNNLoop", (("F.log_softmax(self.hid_to_logits(h_seq), dim=-1)", "F.log_softmax(self.hid_to_logits(h_seq), dim=1)"),),
            why="normalised over time steps"),
    Mistake("rnn_logits", "CharRNNLoop", (("F.log_softmax(self.hid_to_logits(h_seq), dim=-1)", "self.hid_to_logits(h_seq)"),),
            why="logits instead of log-probabilities"),
    # CharLSTMCell
    Mistake("cell_state_not_carried", "CharLSTMCell", (("self.lstm(self.embedding(x_t), state)",
                                                       "self.lstm(self.embedding(x_t), (state[0], torch.zeros_like(state[1])))"),),
            why="the LSTM's cell state c is not carried"),
    Mistake("logits_from_c", "CharLSTMCell", (("self.lstm_to_logits(h_next)", "self.lstm_to_logits(c_next)"),), why="prediction from c instead of h"),
    Mistake("state_swapped", "CharLSTMCell", (("return log_probs, (h_next, c_next)", "return log_probs, (c_next, h_next)"),),
            why="returns (c, h)"),
    Mistake("lstm_cell_no_state", "CharLSTMCell", (("self.lstm(self.embedding(x_t), state)", "self.lstm(self.embedding(x_t))"),),
            why="the LSTM cell restarts from zeros at every step"),
    # CharLSTM
    Mistake("one_layer", "CharLSTM", (("num_layers=num_layers, batch_first=True", "num_layers=1, batch_first=True"),), why="num_layers ignored"),
    Mistake("lstm_state_not_carried", "CharLSTM", (("self.lstm(self.dropout(self.embedding(batch_ix)), state)",
                                                   "self.lstm(self.dropout(self.embedding(batch_ix)))"),), why="the given (h, c) is ignored"),
    Mistake("dropout_in_eval", "CharLSTM", (("self.lstm_to_logits(self.dropout(h_seq))", "self.lstm_to_logits(F.dropout(h_seq, self.dropout.p))"),),
            why="functional dropout that stays on in eval mode"),
    Mistake("no_output_dropout", "CharLSTM", (("self.lstm_to_logits(self.dropout(h_seq))", "self.lstm_to_logits(h_seq)"),),
            why="no dropout on the LSTM outputs"),
    Mistake("lstm_not_batch_first", "CharLSTM", ((", batch_first=True, dropout=dropout)", ", dropout=dropout)"),), why="time-first nn.LSTM"),
    # found in review: a fresh optimizer every step, a cell loop for every model
    Mistake("optimizer_in_loop", "train", (
        ("""    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / num_steps)
""", ""),
        ("        optimizer.zero_grad()\n",
         "        optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate * (1 - step / num_steps))\n"
         "        optimizer.zero_grad()\n"),
        ("        scheduler.step()\n", ""),
    ), why="a new Adam at every step (its running averages start from zero each time), the schedule set by hand"),
    Mistake("rnn_loop_in_train", "train", (("sequence_log_probs(model, batch_ix)", "rnn_loop(model, batch_ix)"),),
            why="rnn_loop for every model: whole-sequence models have no initial_state"),
]

ALTERNATIVES = [
    Alternative("numpy_to_matrix", "to_matrix", code='''def to_matrix(names, vocab, max_len=None):
    T = max_len or max(len(name) + 2 for name in names)
    out = np.full((len(names), T), PAD, dtype=np.int64)
    for j, name in enumerate(names):
        ids = ([vocab.end_id] + vocab.encode(name))[:T]
        out[j, :len(ids)] = ids
    batch_ix = torch.from_numpy(out)
    return batch_ix, (batch_ix >= 0).to(torch.float32)
'''),
    Alternative("method_style_cell", "CharRNNCell", (
        ("return torch.zeros(batch_size, self.hidden_size, device=self.rnn_update.weight.device)",
         "return self.rnn_update.weight.new_zeros(batch_size, self.hidden_size)"),
        ("""        x_and_h = torch.cat([self.embedding(x_t), h_prev], dim=-1)
        h_next = torch.tanh(self.rnn_update(x_and_h))
        log_probs = F.log_softmax(self.rnn_to_logits(h_next), dim=-1)
        return log_probs, h_next""", """        h_next = self.rnn_update(torch.hstack([self.embedding(x_t), h_prev])).tanh()
        return self.rnn_to_logits(h_next).log_softmax(-1), h_next"""),
    ), why="tensor methods (hstack, .tanh(), .log_softmax(-1)) and new_zeros"),
    Alternative("unbind_cat_loop", "rnn_loop", code='''def rnn_loop(model, batch_ix):
    state = model.initial_state(len(batch_ix))
    steps = []
    for x_t in batch_ix.unbind(dim=1):
        log_probs_t, state = model(x_t, state)
        steps.append(log_probs_t.unsqueeze(1))
    return torch.cat(steps, dim=1)
'''),
    Alternative("nll_loss_ignore_index", "compute_loss", code='''def compute_loss(log_probs, batch_ix, mask):
    V = log_probs.shape[-1]
    return F.nll_loss(log_probs[:, :-1].reshape(-1, V), batch_ix[:, 1:].reshape(-1), ignore_index=PAD)
'''),
    Alternative("manual_schedule_train", "train", code='''def train(model, train_names, vocab, num_steps=1000, batch_size=64, learning_rate=3e-3, max_norm=1.0, seed=0, callback=None):
    torch.manual_seed(seed)
    model.train()
    params = list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=learning_rate)
    batches = batch_stream(train_names, batch_size, seed)
    losses = []
    bar = progress(total=num_steps)
    for step in range(num_steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate * (1 - step / num_steps)
        batch_ix, mask = (t.to(params[0].device) for t in to_matrix(next(batches), vocab))
        loss = compute_loss(sequence_log_probs(model, batch_ix), batch_ix, mask)
        optimizer.zero_grad(set_to_none=False)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, max_norm=max_norm)
        optimizer.step()
        losses.append(float(loss))
        if callback:
            callback(len(losses), losses[-1])
        bar.update(1)
    bar.close()
    model.eval()
    return losses
'''),
    Alternative("zero_grad_after_update_islice", "train", code='''import itertools

def train(model, train_names, vocab, num_steps=1000, batch_size=64, learning_rate=3e-3, max_norm=1.0, seed=0, callback=None):
    torch.manual_seed(seed)
    device = next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), learning_rate)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=lambda k: (num_steps - k) / num_steps)
    model.train()
    losses = []
    stream = itertools.islice(batch_stream(train_names, batch_size, seed), num_steps)
    for step, names in enumerate(progress(stream, total=num_steps), start=1):
        batch_ix, mask = to_matrix(names, vocab)
        batch_ix, mask = batch_ix.to(device), mask.to(device)
        inputs = batch_ix.clamp(min=0)
        log_probs = rnn_loop(model, inputs) if hasattr(model, "initial_state") else model(inputs)[0]
        loss = compute_loss(log_probs, batch_ix, mask)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=max_norm)
        optimizer.step()
        schedule.step()
        model.zero_grad()  # cleared after the update, ready for the next step
        losses.append(loss.detach().cpu().item())
        if callback is not None:
            callback(step, losses[-1])
    model.eval()
    return losses
'''),
    Alternative("loss_tensor_to_callback", "train", (("callback(step + 1, losses[-1])", "callback(step + 1, loss)"),),
                why="the loss tensor itself handed to the callback, as the exercise's text writes it"),
    Alternative("tqdm_bar_train", "train", (("    for step in progress(range(num_steps)):",
                                             "    from tqdm import tqdm\n    for step in tqdm(range(num_steps)):"),),
                why="a plain tqdm progress bar, which writes to stderr"),
    Alternative("deprecated_clip_train", "train", (("nn.utils.clip_grad_norm_(model.parameters(), max_norm)",
                                                    "nn.utils.clip_grad_norm(model.parameters(), max_norm)"),),
                why="torch's deprecated clip_grad_norm: a FutureWarning from the student's own line"),
    Alternative("while_loop_sample", "generate_sample", code='''@torch.no_grad()
def generate_sample(model, vocab, seed_phrase="", max_length=20, temperature=1.0, generator=None):
    device = model_device(model)
    ids = [vocab.end_id] + [vocab.stoi[c] for c in seed_phrase]
    state, new = None, []
    for i in ids:
        log_probs, state = step_log_probs(model, torch.tensor([i], device=device), state)
    while len(seed_phrase) + len(new) < max_length:
        probs = (log_probs[0].cpu() / temperature).softmax(dim=0)
        nxt = torch.multinomial(probs, num_samples=1, generator=generator).item()
        if nxt == vocab.end_id:
            break
        new.append(nxt)
        log_probs, state = step_log_probs(model, torch.tensor([nxt], device=device), state)
    return seed_phrase + "".join(vocab.itos[i] for i in new)
'''),
    Alternative("tensor_methods_rnn_loop_model", "CharRNNLoop", code='''class CharRNNLoop(nn.Module):
    def __init__(self, num_tokens, embedding_size=16, hidden_size=64):
        super().__init__()
        self.embedding = nn.Embedding(num_tokens, embedding_size)
        self.rnn = nn.RNN(input_size=embedding_size, hidden_size=hidden_size, num_layers=1, nonlinearity="tanh", batch_first=True)
        self.hid_to_logits = nn.Linear(hidden_size, num_tokens)

    def forward(self, batch_ix, state=None):
        outputs, last = self.rnn(self.embedding(batch_ix), state)
        return torch.log_softmax(self.hid_to_logits(outputs), dim=2), last
'''),
    Alternative("tuple_unpacking_lstm_cell", "CharLSTMCell", (
        ("""        h = torch.zeros(batch_size, self.hidden_size, device=self.lstm_to_logits.weight.device)
        c = torch.zeros(batch_size, self.hidden_size, device=self.lstm_to_logits.weight.device)
        return h, c""", """        weight = self.lstm.weight_hh
        return tuple(weight.new_zeros(batch_size, self.hidden_size) for _ in range(2))"""),
        ("h_next, c_next = self.lstm(self.embedding(x_t), state)",
         "h_prev, c_prev = state\n        h_next, c_next = self.lstm(self.embedding(x_t), (h_prev, c_prev))"),
    ), why="the state unpacked and packed again; zeros made with new_zeros from a weight"),
    Alternative("explicit_steps_lstm", "CharLSTM", code='''class CharLSTM(nn.Module):
    def __init__(self, num_tokens, embedding_size=16, hidden_size=64, num_layers=2, dropout=0.0):
        super().__init__()
        self.embedding = nn.Embedding(num_tokens, embedding_size)
        self.lstm = nn.LSTM(input_size=embedding_size, hidden_size=hidden_size, num_layers=num_layers,
                            dropout=dropout, batch_first=True)
        self.dropout = nn.Dropout(p=dropout)
        self.lstm_to_logits = nn.Linear(hidden_size, num_tokens)

    def forward(self, batch_ix, state=None):
        x = self.embedding(batch_ix)
        x = self.dropout(x)
        if state is None:
            outputs, (h, c) = self.lstm(x)
        else:
            outputs, (h, c) = self.lstm(x, state)
        logits = self.lstm_to_logits(self.dropout(outputs))
        return logits - logits.logsumexp(dim=-1, keepdim=True), (h, c)
'''),
    Alternative("implicit_dim_log_softmax", "CharRNNCell", (("F.log_softmax(self.rnn_to_logits(h_next), dim=-1)",
                                                             "F.log_softmax(self.rnn_to_logits(h_next))"),),
                why="no dim: right for (m, V) logits, with torch's 'Implicit dimension choice' warning from the student's line"),
    Alternative("implicit_dim_softmax_sample", "generate_sample", (("torch.softmax(log_probs[0] / temperature, dim=-1)",
                                                                    "F.softmax(log_probs[0] / temperature)"),),
                why="no dim on a 1-D tensor: right, with torch's 'Implicit dimension choice' warning"),
    Alternative("preallocated_like_output", "rnn_loop", code=PREALLOCATED_RNN_LOOP.replace(
        "torch.zeros(m, T, log_probs_t.shape[-1])", "log_probs_t.new_zeros(m, T, log_probs_t.shape[-1])")),
    Alternative("cross_entropy_on_log_probs", "compute_loss", code='''def compute_loss(log_probs, batch_ix, mask):
    # cross_entropy applies log_softmax again: on log-probabilities that changes nothing but the gradient w.r.t. them
    V = log_probs.shape[-1]
    return F.cross_entropy(log_probs[:, :-1].reshape(-1, V), batch_ix[:, 1:].reshape(-1), ignore_index=PAD)
'''),
    Alternative("inverse_cdf_sample", "generate_sample", code='''def generate_sample(model, vocab, seed_phrase="", max_length=20, temperature=1.0, generator=None):
    device = model_device(model)
    out = seed_phrase
    with torch.no_grad():
        state = None
        for token in [vocab.end_id] + vocab.encode(seed_phrase, add_end=False):
            log_probs, state = step_log_probs(model, torch.tensor([token], device=device), state)
        while len(out) < max_length:
            cdf = torch.cumsum(torch.softmax(log_probs[0].double() / temperature, dim=-1).cpu(), dim=0)
            u = torch.rand(1, generator=generator, dtype=torch.float64) * cdf[-1]
            token = min(int(torch.searchsorted(cdf, u)), len(cdf) - 1)
            if token == vocab.end_id:
                break
            out += vocab.itos[token]
            log_probs, state = step_log_probs(model, torch.tensor([token], device=device), state)
    return out
'''),
    Alternative("numpy_str_sample", "generate_sample", code='''def generate_sample(model, vocab, seed_phrase="", max_length=20, temperature=1.0, generator=None):
    chars = np.array(vocab.itos)
    device = model_device(model)
    ids = []
    with torch.no_grad():
        log_probs, state = None, None
        for token in [vocab.end_id] + vocab.encode(seed_phrase, add_end=False):
            log_probs, state = step_log_probs(model, torch.tensor([token], device=device), state)
        for _ in range(max_length - len(seed_phrase)):
            token = torch.multinomial(F.softmax(log_probs.cpu() / temperature, dim=-1), 1, generator=generator).item()
            if token == vocab.end_id:
                break
            ids.append(token)
            log_probs, state = step_log_probs(model, torch.tensor([token], device=device), state)
    return np.char.add(seed_phrase, "".join(chars[ids]))  # a numpy.str_ (a subclass of str), not a str
'''),
    Alternative("log_softmax_module_rnn_loop_model", "CharRNNLoop", code='''class CharRNNLoop(nn.Module):
    def __init__(self, num_tokens, embedding_size=16, hidden_size=64):
        super().__init__()
        self.embedding = nn.Embedding(num_tokens, embedding_size)
        self.rnn = nn.RNN(embedding_size, hidden_size, batch_first=True)
        self.hid_to_logits = nn.Linear(hidden_size, num_tokens)
        self.to_log_probs = nn.LogSoftmax(dim=-1)

    def forward(self, batch_ix, state=None):
        h_seq, state = self.rnn(self.embedding(batch_ix), state)
        return self.to_log_probs(self.hid_to_logits(h_seq)), state
'''),
    Alternative("lerp_gru", "CharGRUCell", (
        ("""        input_r, input_z, input_n = self.input_to_gates(self.embedding(x_t)).chunk(3, dim=-1)
        hidden_r, hidden_z, hidden_n = self.hidden_to_gates(h_prev).chunk(3, dim=-1)
        r = torch.sigmoid(input_r + hidden_r)
        z = torch.sigmoid(input_z + hidden_z)
        n = torch.tanh(input_n + r * hidden_n)
        h_next = (1 - z) * n + z * h_prev""", """        H = self.hidden_size
        gi = self.input_to_gates(self.embedding(x_t))
        gh = self.hidden_to_gates(h_prev)
        rz = torch.sigmoid(gi[:, :2 * H] + gh[:, :2 * H])
        r, z = rz[:, :H], rz[:, H:]
        n = torch.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        h_next = torch.lerp(n, h_prev, z)  # n + z * (h_prev - n)"""),
        ("return torch.zeros(batch_size, self.hidden_size, device=self.hidden_to_gates.weight.device)",
         "return self.gru_to_logits.weight.new_zeros(batch_size, self.hidden_size)"),
    ), why="the gates sliced from one sigmoid, torch.lerp for the update, zeros made with new_zeros"),
    Alternative("functional_weights_gru", "CharGRUCell", code='''class CharGRUCell(nn.Module):
    def __init__(self, num_tokens, embedding_size=16, hidden_size=64):
        super().__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(num_tokens, embedding_size)
        self.input_to_gates = nn.Linear(embedding_size, hidden_size * 3)
        self.hidden_to_gates = nn.Linear(hidden_size, hidden_size * 3)
        self.gru_to_logits = nn.Linear(hidden_size, num_tokens)

    def initial_state(self, batch_size):
        device = next(self.parameters()).device
        return torch.zeros((batch_size, self.hidden_size), device=device)

    def forward(self, x_t, h_prev):
        e = self.embedding(x_t)
        W_r, W_z, W_n = self.input_to_gates.weight.split(self.hidden_size)
        b_r, b_z, b_n = self.input_to_gates.bias.split(self.hidden_size)
        U_r, U_z, U_n = self.hidden_to_gates.weight.split(self.hidden_size)
        c_r, c_z, c_n = self.hidden_to_gates.bias.split(self.hidden_size)
        r = torch.sigmoid(F.linear(e, W_r, b_r) + F.linear(h_prev, U_r, c_r))
        z = torch.sigmoid(F.linear(e, W_z, b_z) + F.linear(h_prev, U_z, c_z))
        n = torch.tanh(F.linear(e, W_n, b_n) + r * F.linear(h_prev, U_n, c_n))
        h_next = (1.0 - z) * n + z * h_prev
        return self.gru_to_logits(h_next).log_softmax(dim=-1), h_next
'''),
]

# the demo class: one student per mistake
DEMO = ["cell_no_tanh", "wrong_shift", "optimizer_other_model"]
