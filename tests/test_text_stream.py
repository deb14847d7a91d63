from opening.llama.text_stream import TextStream


def test_multibyte_character_split_across_pieces_is_held_until_complete() -> None:
    data = "小马过河".encode()
    stream = TextStream()
    shown = [stream.feed(data[i:i + 1]) for i in range(len(data))]
    shown.append(stream.finish())
    assert "".join(shown) == "小马过河"
    assert all("\ufffd" not in piece for piece in shown)
    # the first two bytes of 小 show nothing; the third completes it
    assert shown[:3] == ["", "", "小"]


def test_stop_text_cuts_and_is_never_shown_even_across_pieces() -> None:
    stream = TextStream(("\n\nOutput:",))
    shown = [stream.feed(p.encode()) for p in ["Write a poem", "\n", "\nOut", "put: something"]]
    assert stream.stopped
    assert "".join(shown) + stream.finish() == "Write a poem"
    assert stream.text == "Write a poem"


def test_held_back_prefix_is_released_when_it_turns_out_not_to_be_a_stop() -> None:
    stream = TextStream(("\n\nX:",))
    assert stream.feed(b"a\n") == "a"
    assert stream.feed(b"\n") == ""  # could be the start of "\n\nX:"
    assert stream.feed(b"b") == "\n\nb"
    assert not stream.stopped


def test_bytes_that_never_form_a_character_are_dropped_not_shown_as_garbage() -> None:
    # a model can emit the first bytes of a character and then something else
    stream = TextStream()
    shown = stream.feed("é".encode()[:1]) + stream.feed(b" ok") + stream.finish()
    assert shown == " ok"
    assert stream.text == " ok"
