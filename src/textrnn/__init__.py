"""textrnn: recurrent neural networks for text, from the textbook equations to a SavedModel.

Importing the package registers its Keras layers, so ``keras.saving.load_model`` reads ``.keras``
files that use them.
"""

from textrnn import cells, layers

__all__ = ["cells", "layers"]
__version__ = "0.1.0"
