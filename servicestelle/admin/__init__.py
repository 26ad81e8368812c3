"""Administration (IT): users and roles of the own centre. No case content, ever."""
