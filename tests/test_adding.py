"""The adding problem: its sequences, the solved criterion and training until solved or out of budget."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from textrnn import adding


def test_each_sequence_marks_one_value_in_each_half_and_its_target_is_their_sum():
    inputs, targets = (t.numpy() for t in adding.batch(9, 64, tf.constant([3, 4], tf.int64)))
    assert inputs.shape == (64, 9, 2) and targets.shape == (64,)
    values, markers = inputs[..., 0], inputs[..., 1]
    assert ((values >= 0) & (values < 1)).all()
    assert (markers[:, :4].sum(axis=1) == 1).all() and (markers[:, 4:].sum(axis=1) == 1).all()
    assert set(np.unique(markers)) == {0.0, 1.0}
    np.testing.assert_allclose(targets, (values * markers).sum(axis=1), rtol=1e-6)
    # every position of each half is drawn somewhere in the batch
    assert set(markers[:, :4].argmax(axis=1)) == {0, 1, 2, 3} and set(markers[:, 4:].argmax(axis=1)) == {0, 1, 2, 3, 4}


def test_a_batch_is_a_function_of_its_seed_and_the_stream_of_its_index():
    again = adding.batch(9, 8, tf.constant([3, 4], tf.int64))[1]
    np.testing.assert_array_equal(adding.batch(9, 8, tf.constant([3, 4], tf.int64))[1], again)
    assert not np.allclose(adding.batch(9, 8, tf.constant([3, 5], tf.int64))[1], again)
    first, second = [targets.numpy() for _, targets in adding.stream(9, 8, seed=3).take(2)]
    np.testing.assert_array_equal(first, adding.batch(9, 8, tf.constant([3, 0], tf.int64))[1])
    np.testing.assert_array_equal(second, adding.batch(9, 8, tf.constant([3, 1], tf.int64))[1])


def test_within_tolerance_counts_absolute_errors_below_0_04():
    targets = tf.constant([1.0, 1.0, 1.0, 0.5])  # errors 0.039, 0.05, 0.039, 0.05
    predictions = tf.constant([1.039, 0.95, 0.961, 0.45])
    np.testing.assert_array_equal(adding.within_tolerance(targets, predictions), [1.0, 0.0, 1.0, 0.0])


def test_a_length_without_two_halves_is_refused():
    with pytest.raises(ValueError, match="length must be at least 2"):
        adding.batch(1, 4, tf.constant([0, 0], tf.int64))


def test_training_stops_once_solved_and_reports_the_sequences_it_read():
    result = adding.train(family="gru", length=2, units=8, learning_rate=0.01, check_every=1_000, max_sequences=30_000)
    assert result.solved and result.within_tolerance >= adding.SOLVED_FRACTION
    assert result.sequences % 1_000 == 0 and result.sequences < 30_000
    assert result.test_mse < 0.01


def test_training_stops_when_a_budget_is_spent_and_says_unsolved():
    by_sequences = adding.train(family="simple_rnn", length=20, units=4, check_every=500, max_sequences=1_000)
    assert (by_sequences.solved, by_sequences.sequences) == (False, 1_000)
    assert by_sequences.within_tolerance < adding.SOLVED_FRACTION and by_sequences.test_mse > 0.01
    by_time = adding.train(family="simple_rnn", length=20, units=4, check_every=500, max_seconds=0.0)
    assert (by_time.solved, by_time.sequences) == (False, 500)
