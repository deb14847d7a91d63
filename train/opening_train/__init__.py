"""``opening-train``: step one of the original — making the generator OpenING samples instructions with.

``data`` builds the reversed training set from Super-NaturalInstructions, Dolly-15k and Firefly
(:mod:`opening_train.sources` reads them, :mod:`opening_train.hub_sources` fetches them by name,
:mod:`opening_train.reverse` turns each pair around through the app's own reverse templates,
:mod:`opening_train.mix` drops duplicates and samples the mix). ``fit`` (:mod:`opening_train.fit`) and
``prefer`` (:mod:`opening_train.prefer`, DPO) train a base the converter can take
(:mod:`opening_train.bases`) on llama.cpp's own tokens (:mod:`opening_train.tokens`) with one recipe
(:mod:`opening_train.recipe`, :mod:`opening_train.trainer_setup`) in a resumable run folder
(:mod:`opening_train.run_folder`); ``eval`` (:mod:`opening_train.evaluate`) runs the converted result
through the app's engine. The package imports the app's core and the converter; neither imports it, and
only it imports torch's training stack (the ``train`` extra).
"""

from opening.base.messages import add_messages
from opening_train.message_catalog import TRAIN_MESSAGES

add_messages(TRAIN_MESSAGES)
