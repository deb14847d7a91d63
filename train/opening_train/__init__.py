"""``opening-train``: step one of the original — making the generator OpenING samples instructions with.

``data`` builds the reversed training set from local copies of Super-NaturalInstructions, Dolly-15k and
Firefly (:mod:`opening_train.sources` reads them, :mod:`opening_train.reverse` turns each pair around
through the app's own reverse templates, :mod:`opening_train.mix` drops duplicates and samples the mix).
The package imports the app's core (templates, the ``### Input:`` fold, the tokenizer for the length
report); the app never imports it.
"""

from opening.base.messages import add_messages
from opening_train.message_catalog import TRAIN_MESSAGES

add_messages(TRAIN_MESSAGES)
