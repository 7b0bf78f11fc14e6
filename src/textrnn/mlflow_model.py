"""The exported SavedModel as an MLflow pyfunc model, logged as code ("models from code").

MLflow copies this file into the logged model, so loading it needs TensorFlow, pandas and MLflow (and
tensorflow-text for a WordPiece tokenizer's ops), not textrnn::

    model = mlflow.pyfunc.load_model(f"models:/{model_id}")
    model.predict(pandas.DataFrame({"text": ["a great film"]}))   # label, probability_<class>...
"""

from __future__ import annotations

import contextlib
from typing import Any

import mlflow
import pandas as pd
import tensorflow as tf
from mlflow.exceptions import MlflowException
from mlflow.models import set_model
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE


class SavedModelClassifier(mlflow.pyfunc.PythonModel):
    """Raw strings in column ``text`` → the predicted ``label`` and one ``probability_<class>`` per class."""

    def load_context(self, context: Any) -> None:
        with contextlib.suppress(ImportError):  # tensorflow-text registers a WordPiece tokenizer's ops
            import tensorflow_text  # noqa: F401
        self.serve = tf.saved_model.load(context.artifacts["saved_model"]).signatures["serving_default"]

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        texts = model_input["text"].tolist()
        for row, text in enumerate(texts):
            if not isinstance(text, str):  # MLflow's schema lets a mixed column through; 42 is no text
                raise MlflowException(
                    f"column 'text', row {row}: {text!r} is not a string; send each text as a JSON string",
                    error_code=INVALID_PARAMETER_VALUE,
                )
        out = self.serve(texts=tf.constant(texts, dtype=tf.string))
        classes = [name.decode() for name in out["classes"].numpy()[0]]
        frame = pd.DataFrame(out["probabilities"].numpy(), columns=[f"probability_{name}" for name in classes])
        frame.insert(0, "label", [label.decode() for label in out["label"].numpy()])
        return frame


set_model(SavedModelClassifier())
