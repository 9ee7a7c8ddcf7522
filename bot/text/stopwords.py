"""General Vietnamese word lists (not tied to any document).

``STOPWORDS``: function words and question words. They carry the *form* of a
question ("… là gì?", "có … không?") rather than its topic, so they are left
out when measuring how much of a question a document passage covers.

``COMMON_WORDS``: frequent syllables with their usual accented spelling, used
to restore diacritics of single syllables that the corpus itself cannot
disambiguate (``can`` → ``cần``, ``gi`` → ``gì``). Longer phrases are restored
from the corpus first, so ``can bo`` still becomes ``cán bộ``.
"""

from __future__ import annotations

STOPWORDS = frozenset(
    """
    à ạ á ai anh ấy bao bằng bạn biết bị bởi cả các cái cần càng cho chị chỉ chưa chứ có còn
    của cùng cũng đã đang đâu để đến đều điều đó đây được em gì giúp hả hãy hay hỏi hoặc hơn
    khi không kia là lại lắm lên mà mấy mình mọi muốn một nà nào này nên nếu ngay nhé nhỉ
    như nhưng những nữa ơi phải quá ra rằng rất rồi sao sau sẽ tại tôi thế thì theo thôi
    trên trong tới từ và vào vậy về vì với vẫn xin đi nhiêu lâu ở ư ừ vâng dạ chăng
    """.split()
)

# Multi-syllable question phrases, matched on syllable sequences.
QUESTION_PHRASES = (
    ("như", "thế", "nào"),
    ("thế", "nào"),
    ("ra", "sao"),
    ("bao", "nhiêu"),
    ("bao", "lâu"),
    ("bao", "giờ"),
    ("khi", "nào"),
    ("ở", "đâu"),
    ("là", "gì"),
    ("cho", "biết"),
    ("cho", "hỏi"),
    ("liệt", "kê"),
    ("kể", "tên"),
    ("gồm", "những"),
    ("có", "phải"),
)

COMMON_WORDS = tuple(
    """
    gì nào đâu sao không có là của và được những các cho với thì mà để này khi nếu như thế
    ai mấy bao lâu ở đã đang sẽ phải bị ra vào về trong ngoài trên dưới sau trước rồi
    cũng nữa chỉ còn hay hoặc nên vì do từ đến tới theo cùng mỗi mọi một hai ba bốn năm sáu
    bảy tám chín mười người việc làm cần muốn biết hỏi xin giúp tôi bạn mình vẫn số sang
    ngành liệt kê tên gồm nội dung vậy đây đấy nhiều anh em chị ạ nhé ơi nha
    """.split()
)
# Phrases of chat and questions that leaflets rarely write, so their corpus cannot restore them
# ("bao nhieu" would become "bảo nhiêu" from "bảo vệ"); they win over the corpus' spellings.
COMMON_PHRASES = tuple(
    p.split()
    for p in """bao nhiêu|bao lâu|bao giờ|như thế nào|thế nào|ra sao|vì sao|tại sao|khi nào|lúc nào|ở đâu|là gì
    |trước đây|hiện nay|anh em|anh chị|phần trăm|mấy người|được không|có không|phải không|đúng không|thì sao
    |cho hỏi|cho em hỏi|em hỏi|mọi người|cả nhà""".replace("\n", " ").split("|")
)
