"""User-facing errors: one clear line that names the key, file or value at fault."""


class LangspecError(Exception):
    """Bad input from the user (config, data, masks).

    The message is a single line; scripts print it without a traceback.
    """

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))
