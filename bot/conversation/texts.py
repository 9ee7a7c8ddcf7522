"""Every sentence the assistant says in a chat, in one place (Vietnamese; channels add only markup).

The answer wording shared with the CLI (refusal, suggestions, confirmation, quote layout) lives in
:mod:`bot.answer.format` and is re-exported here, so channels import wording from one module.
Errors raised by the library (a bad schedule, a refused document) carry their own message.
"""

from __future__ import annotations

from bot.answer.format import CONFIRM, EMPTY, GREETING, NO_SUGGESTION, NOT_FOUND, NOT_LOADED, SMALLTALK, SUGGEST_HEADER

__all__ = ["CONFIRM", "EMPTY", "GREETING", "NOT_FOUND", "NOT_LOADED", "NO_SUGGESTION", "SMALLTALK", "SUGGEST_HEADER"]

# --- asking -------------------------------------------------------------------------------
HOI_USAGE = "Cách dùng: /hoi câu hỏi của bạn — ví dụ: /hoi tham mưu lòng vòng là gì"
NOT_TEXT = "Tôi chỉ đọc được câu hỏi bằng chữ. Bạn hãy gõ câu hỏi, ví dụ: “Người đứng đầu phải thế nào?”"
TOO_LONG = "Câu hỏi dài quá. Bạn hãy hỏi ngắn gọn (dưới {limit} ký tự) về một nội dung cụ thể."
SLOW_DOWN = "Bạn đang hỏi hơi nhanh. Vui lòng đợi khoảng một phút rồi hỏi tiếp nhé."
UNKNOWN_COMMAND = "Không có lệnh /{command}. Gõ /help để xem cách dùng."
ERROR = "Xin lỗi, đã có lỗi khi xử lý yêu cầu. Bạn vui lòng thử lại sau ít phút."
GONE_QUESTION = "Câu hỏi này không còn trong chỉ mục hiện tại."
STALE_BUTTON = "Nút này đã cũ hoặc không hợp lệ. Bạn hãy hỏi lại nhé."
FULL_ANSWER = "📖 Xem toàn văn câu trả lời"
RELATED = "↪ "
QUESTION_LABEL = "Câu hỏi {number}: {question}"
# Once several documents are loaded, "Câu hỏi 4" alone is ambiguous: every label names its document.
QUESTION_LABEL_OF = "Câu hỏi {number} – {document}: {question}"
CONFIRM_OF = "{question} ({document})"
OTHER_DOCUMENT = "Văn bản khác cũng nói về việc này: {document}, câu hỏi {number}"
CONFIRM_YES = "✅ Đúng, xem câu trả lời chính thức"
CONFIRM_HINT = "Gõ 1 để xem câu trả lời chính thức của câu hỏi này."
CONFIRM_OTHERS = "Hoặc:"
CHOOSE_HINT = "Trả lời bằng số (1, 2, 3…) để xem câu trả lời chính thức."
FULL_ANSWER_HINT = "Gõ 0 để xem toàn văn câu trả lời."
RELATED_HINT = "Câu hỏi liên quan (gõ số để xem):"
META_SOURCE = "Theo tiêu đề văn bản: {document}"

# --- a busy group: several answers in one message (Telegram allows a bot 20 messages a minute there) ---
MERGED_ASKED = "💬 {name} hỏi: “{question}”"
MERGED_EARLIER = "↪ Đã trả lời ở trên: {citation}"
MERGED_EARLIER_SAME = "↪ Câu hỏi này vừa được trả lời ở trên."
MERGED_BUTTON = "{name}: {label}"

# --- feedback --------------------------------------------------------------------------------
THUMBS_UP = "👍 Hữu ích"
THUMBS_DOWN = "👎 Chưa đúng"
FEEDBACK_THANKS = "Cảm ơn bạn đã góp ý!"
FEEDBACK_NOT_YOURS = "Chỉ người đã hỏi mới đánh giá được câu trả lời này."

# --- help and identity ---------------------------------------------------------------------
HELP_TITLE = "Trợ lý Hỏi–Đáp văn bản của Tỉnh ủy"
HELP_INTRO = "Tôi trả lời bằng nguyên văn câu trả lời chính thức, kèm nguồn (văn bản, câu hỏi, mục)."
HELP_HOW = "Cách hỏi"
HELP_PRIVATE = "• Nhắn tin riêng: gõ câu hỏi, có dấu hay không dấu đều được."
HELP_GROUP = "• Trong nhóm: /hoi câu hỏi, hoặc nhắc tên tôi, hoặc trả lời tin nhắn của tôi."
HELP_QUIZ = "• Câu đố hằng ngày: /bxh xem bảng xếp hạng; /id xem mã người dùng của bạn."
HELP_DOCS = "Văn bản tôi đang trả lời"
HELP_DOC = "{name} — {questions} câu hỏi–đáp"
YOUR_ID = "Mã người dùng của bạn: {user_id}\nMã cuộc trò chuyện này: {chat_id}"
YOUR_ID_HINT = "Gửi mã người dùng cho quản trị viên để được cấp quyền (/officer_add {user_id})."

# --- roles -------------------------------------------------------------------------------------
NOT_OFFICER = (
    "Lệnh này chỉ dành cho cán bộ tuyên giáo được giao quản lý câu đố. "
    "Hãy nhờ quản trị viên cấp quyền: /officer_add <mã người dùng> (gõ /id để xem mã của bạn)."
)
NOT_ADMIN = "Xin lỗi, chỉ quản trị viên mới được dùng lệnh này."
ADMIN_ONLY = "Lệnh này chỉ dành cho quản trị viên."
NOT_ADMIN_DOCS = "Xin lỗi, chỉ quản trị viên mới được cập nhật tài liệu và chỉ mục của trợ lý."
PRIVATE_ONLY = (
    "Lệnh /{command} chỉ dùng trong tin nhắn riêng với tôi, để nội dung không hiện ra cho cả nhóm. "
    "Hãy mở chat riêng với tôi và gõ lại /{command}."
)
OFFICER_USAGE = "Cách dùng: /officer_{verb} <mã người dùng> (hoặc trả lời tin nhắn của người đó)."
OFFICER_ADDED = "Đã cấp quyền quản lý câu đố cho {user}."
OFFICER_ALREADY = "{user} đã có quyền này."
OFFICER_REMOVED = "Đã thu hồi quyền của {user}."
OFFICER_NOT = "{user} không có quyền này."

# --- quiz ---------------------------------------------------------------------------------------
WHERE_GROUP = "nhóm này"
WHERE_PRIVATE = "cuộc trò chuyện này"
WHERE_NAMED = "“{title}”"
QUIZ_ON = "Đã đăng ký câu đố hằng ngày cho {where}: {time} ({days}, giờ Việt Nam)."
QUIZ_OFF = "Đã dừng câu đố hằng ngày cho {where}."
QUIZ_NOT_ON = "{where} chưa đăng ký câu đố hằng ngày."
TARGET_NOT_FOUND = "Không tìm thấy kênh/nhóm {target}: hãy thêm tôi làm quản trị viên ở đó trước."
PREVIEW_TITLE = "Câu đố kỳ tới (dùng /quiz_skip để đổi câu khác):"
SKIPPED_TITLE = "Đã đổi. Câu đố kỳ tới:"
PREVIEW_SENT = "Đã gửi bản xem trước vào tin nhắn riêng của bạn."
OPEN_PRIVATE_CHAT = "Tôi chưa nhắn riêng được cho bạn: hãy mở chat riêng với tôi và bấm /start, rồi thử lại."
QUIZ_TITLE = "❓ CÂU ĐỐ HẰNG NGÀY"
QUIZ_LETTERS = "Trả lời bằng một chữ cái ({first}–{last})."
QUIZ_RIGHT = "{name}: ✅ Chính xác!"
QUIZ_WRONG = "{name}: ❌ Chưa đúng. Đáp án: {letter}. {option}"
QUIZ_KEPT = (
    "{name}: đã nhận câu trả lời {letter} của bạn. Hệ thống đang bận, kết quả sẽ được tính ngay khi "
    "hoạt động bình thường trở lại."
)
QUIZ_AGAIN = "{name}: bạn đã trả lời câu đố này rồi, mỗi người chỉ tính lần trả lời đầu tiên."
QUIZ_ANSWER = "Đáp án: {letter}. {option}"
BOARD_TITLE = "🏆 Bảng xếp hạng câu đố — {where}"
BOARD_PERIODS = {"today": "Hôm nay", "week": "Tuần này (từ thứ Hai)", "all": "Từ trước đến nay"}
BOARD_ROW = "{rank}. {name} — {points} điểm ({answered} lần trả lời{streak})"
BOARD_STREAK = ", chuỗi {days} ngày"
BOARD_EMPTY = "— chưa có ai trả lời"
BOARD_INVITE = "Hãy trả lời câu đố hằng ngày để có tên trên bảng!"
STATS_TITLE = "📊 Thống kê câu đố ({days} ngày)"
STATS_ROW = "{date:%d/%m} — {title}: {people} người, đúng {rate:.0%}"
STATS_NONE = "Chưa có câu đố nào được gửi trong {days} ngày qua."
QUIZ_STOPPED_KICKED = (
    "Câu đố hằng ngày cho “{title}” đã dừng: tôi không còn gửi được tin vào đó "
    "(bị xóa khỏi nhóm, bị chặn, hoặc nhóm không còn). Thêm tôi lại rồi dùng /quiz_on để bật lại."
)

# --- documents and index (admins) -----------------------------------------------------------------
DOCS_TITLE = "📚 Văn bản trong chỉ mục"
DOCS_ROW = "• {doc_id} — {name} ({questions} câu hỏi)"
DOCS_INDEX = "Chỉ mục: {name} (xây dựng {built}), {count} phiên bản lưu để quay lại (/rollback)."
DOCS_VERSIONS = "Phiên bản (mới nhất trước; quay về: /rollback <tên>)"
DOCS_VERSION_ROW = "• {name} — {built} — {documents} văn bản, {answers} câu trả lời{active}"
DOCS_VERSION_ACTIVE = " (đang dùng)"
DOCS_VERSIONS_SHOWN = 5
UPLOAD_UNSUPPORTED = (
    "Không nhận được tệp “{name}”: định dạng {suffix} không được hỗ trợ. Hãy gửi tệp .txt, .md, .docx, .doc, "
    ".pdf (cả bản scan) hoặc ảnh chụp trang .jpg/.png."
)
UPLOAD_TOO_LARGE = "Tệp “{name}” quá lớn ({size:.1f} MB); giới hạn là {limit:g} MB."
UPLOAD_REFUSED = "Không thể thêm tài liệu — {error}"
UPLOAD_EXPIRED = "Yêu cầu này đã được xử lý hoặc đã hết hạn."
UPLOAD_CANCELLED = "Đã hủy, không có gì thay đổi."
ALBUM_FAILED = "Xin lỗi, chưa xem trước được album ảnh vừa gửi; hãy gửi lại cả album."
ALBUM_UNREADABLE = "Có ảnh trong album không mở được; hãy chụp lại trang đó và gửi lại cả album."
UPLOAD_CONFIRM = "✅ Cập nhật chỉ mục"
UPLOAD_CANCEL = "✖️ Hủy"
UPLOAD_WORKING = "Đang cập nhật chỉ mục"
PREVIEW_NUMBER = "Số hiệu: {number}"
PREVIEW_NO_NUMBER = "(không có)"
PREVIEW_DATE = "Ngày: {date}"
PREVIEW_ISSUER = "Cơ quan ban hành: {issuer}"
PREVIEW_QA = "Tìm thấy: {questions} câu hỏi, {items} mục"
PREVIEW_SECTIONS = "Tìm thấy: {sections} đoạn (văn bản không theo dạng hỏi–đáp)"
PREVIEW_ITEMS = "Số mục theo câu hỏi: {items}"
PREVIEW_REPLACES = "Sẽ thay thế văn bản cùng số hiệu đang có ({file})."
SELFTEST_WORKING = "🔎 Tự kiểm tra: hỏi thử từng câu hỏi của văn bản mới theo cách thành viên hay hỏi…"
SELFTEST_TITLE = "🔎 Tự kiểm tra văn bản mới: {right}/{total} cách hỏi được trả lời đúng câu"
SELFTEST_OK = "✅ Câu hỏi {number}: {right}/{total} cách hỏi đúng"
SELFTEST_WEAK = "⚠️ Câu hỏi {number}: {right}/{total} cách hỏi đúng (ví dụ “{example}” → {got})"
SELFTEST_COLLIDES = "⚠️ Câu hỏi {number} trùng nội dung với {others}: thành viên sẽ được gợi ý cả hai"
SELFTEST_NONE = "không trả lời"
SELFTEST_FOOTER = "Các câu có ⚠️ nên xem lại trước khi xác nhận (có thể sửa lời văn câu hỏi cho rõ hơn)."
PREVIEW_CHANGES = "Thay đổi so với bản đang có:"
ADDED = "Đã thêm {names}."
REBUILT = (
    "✅ Đã cập nhật chỉ mục {version} ({seconds:.1f} giây): {documents} văn bản, {groups} câu trả lời; "
    "nhúng mới {embedded} đơn vị, dùng lại {cached}."
)
REBUILT_DOC_QA = "• {name}: {questions} câu hỏi, {items} mục"
REBUILT_DOC_SECTIONS = "• {name}: {sections} đoạn"
FAILED = "❌ {error}"
REINDEXING = "Đang xây dựng lại chỉ mục"
ROLLED_BACK = "Đã chuyển chỉ mục về phiên bản {name}."
ROLLBACK_FAILED = "Không quay lại được: {error}"
REMOVED = "Đã xóa {file}."
REMOVE_USAGE = "Cách dùng: /remove <mã văn bản> (xem /docs)."
UNANSWERED_TITLE = "❓ Câu hỏi chưa có câu trả lời chính thức ({days} ngày)"
UNANSWERED_ROW = "{count}× {question}"
UNANSWERED_HINT = "Gợi ý: bổ sung tài liệu hỏi–đáp cho các nội dung này."
UNANSWERED_NONE = "Trong {days} ngày qua chưa có câu hỏi nào thiếu câu trả lời."
DAYS_USAGE = "Số ngày phải từ 1 đến {max}, ví dụ: /unanswered 30"

# --- learning from use: review queue, links, marks --------------------------------------------------
REVIEW_TITLE = "📝 Câu hỏi chờ duyệt ({count})"
REVIEW_USAGE = "Cách dùng: /review [số câu, 1–{max}], ví dụ: /review 10"
REVIEW_NONE = "Không có câu hỏi nào chờ duyệt. Câu hỏi chưa được trả lời và các xác nhận của thành viên sẽ hiện ở đây."
REVIEW_ITEM = "“{text}”\n{why}"
REVIEW_WHY = {
    "unanswered": "Chưa được trả lời — hỏi {count} lần.",
    "confirmation": "Thành viên đã xác nhận “Có phải bạn muốn hỏi…” — {count} lần.",
    "suggestion": "Thành viên chọn câu gợi ý và bấm 👍 — {count} lần.",
    "thumbs_down": "Thành viên bấm 👎 cho câu trả lời — {count} lần.",
}
REVIEW_GUESS = "Gợi ý của trợ lý: {guess}"
REVIEW_NO_GUESS = "Trợ lý chưa có gợi ý."
REVIEW_ACCEPT = "✅ Gắn vào Câu hỏi {number}"
REVIEW_ACCEPT_OF = "✅ Gắn vào Câu hỏi {number} – {document}"
REVIEW_OTHER = "✏️ Chọn câu khác"
REVIEW_OUT = "🚫 Không thuộc văn bản"
REVIEW_SKIP = "⏭ Bỏ qua"
REVIEW_CHOOSE_QUESTION = "Gắn “{text}” vào câu hỏi chính thức nào?"
REVIEW_CHOOSE_ITEM = "Gắn “{text}” vào cả câu trả lời hay một mục của Câu hỏi {number}?"
REVIEW_WHOLE = "Cả câu trả lời"
REVIEW_ITEM_LABEL = "Mục ({item})"
REVIEW_QUESTION_LABEL = "Câu {number}: {question}"
LINKED = (
    "✅ Đã liên kết “{text}” với {target}. Từ nay câu hỏi này và những cách hỏi gần giống "
    "được trả lời bằng câu trả lời chính thức đó."
)
MARKED_OUT = "🚫 Đã đánh dấu “{text}” là không thuộc văn bản: câu hỏi này và những cách hỏi gần giống sẽ được từ chối."
SKIPPED = "Đã bỏ qua."
REVIEW_GONE = "Đề xuất này đã được xử lý."
PHRASINGS_TITLE = "🔗 Cách hỏi đã liên kết ({count})"
PHRASINGS_NONE = "Chưa có cách hỏi nào được liên kết. Dùng /review để duyệt câu hỏi của thành viên."
PHRASING_ROW = "#{id} “{text}” → {target}{status}"
PHRASING_STATUS = {"review": " (cần xem lại: câu hỏi chính thức đã đổi)", "retired": " (văn bản đã gỡ)"}
PHRASINGS_HINT = "Gỡ một liên kết: /unlink <số>."
UNLINK_USAGE = "Cách dùng: /unlink <số> (xem /phrasings)."
UNLINKED = "Đã gỡ liên kết #{id} “{text}”."
# --- web -------------------------------------------------------------------------------------------
WEB_LINK = "Mở trang quản trị bằng liên kết sau (dùng được một lần, trong {minutes} phút; đừng chuyển cho ai):\n{url}"
CONSOLE_LINK_ROLE = "Vai trò phải là admin hoặc officer, ví dụ: hoidap admin link --role officer --user lan"
CONSOLE_LINK_USER = (
    "Tên đăng nhập gồm chữ không dấu, số, dấu chấm, gạch ngang hoặc gạch dưới (tối đa 32 ký tự), ví dụ: --user lan"
)
QUIZ_TODAY_TITLE = "❓ Câu đố hôm nay"
QUIZ_CLOSED = "Câu đố này đã đóng. Hãy thử câu đố hôm nay!"
QUIZ_NONE = "Hôm nay chưa có câu đố."
WEB_QUIZ_CHAT = "Trang web"
IMPORTED = "Đã nhập {added} câu hỏi từ {file}."
IMPORTED_DUPLICATES = "Đã nhập {added} câu hỏi từ {file} ({duplicates} câu đã có, bỏ qua)."
QUIZ_WRITTEN = "Đã lưu câu hỏi mới, dùng từ câu đố kỳ tới: “{question}”."
QUIZ_EDITED = "Đã sửa câu hỏi (bản cũ đã tắt, kết quả cũ vẫn giữ): “{question}”."
QUIZ_NOT_SAVED = "Chưa lưu được câu hỏi:"
QUIZ_FIX = "Sửa các điểm trên rồi lưu lại."
QUIZ_QUESTION_GONE = "Không còn câu hỏi này trong ngân hàng câu đố."
QUIZ_QUESTION_OFF = "Đã tắt câu hỏi, không gửi nữa: “{question}”."
QUIZ_QUESTION_ON = "Đã bật lại câu hỏi: “{question}”."
QUIZ_GROUP_GONE = "Không có nhóm này trong danh sách nhận câu đố."
QUIZ_NO_DAYS = "Hãy chọn ít nhất một ngày trong tuần (hoặc tắt câu đố của nhóm)."
QUIZ_GROUP_ON = "{title}: câu đố lúc {time} ({days}, giờ Việt Nam)."
QUIZ_GROUP_OFF = "{title}: đã tắt câu đố hằng ngày."
IMPORT_PROBLEMS = "{file}: {count} dòng có lỗi, chưa nhập câu nào."
IMPORT_PROBLEM_ROW = "Dòng {line}: {reason}"
IMPORT_FIX = "Sửa các dòng trên (cột theo tệp mẫu) rồi nhập lại cả tệp."
IMPORT_UNSUPPORTED = "Tệp câu hỏi phải là .csv, .xlsx, .yaml hoặc .yml (tải tệp mẫu ở trang Câu đố)."

# --- before a destructive action: what members will lose or gain (bot.conversation.impact) ---
IMPACT_DOC = "{document}: {answers} câu trả lời"
IMPACT_CHANGED = "{document}: {before} → {after} câu trả lời"
IMPACT_LOSE = "Thành viên sẽ không còn được trả lời từ"
IMPACT_GAIN = "Thành viên sẽ được trả lời thêm từ"
IMPACT_CHANGE = "Thay đổi"
IMPACT_KEEP = "Giữ nguyên"
IMPACT_NOTHING = "(không có)"
IMPACT_TOTAL = "Tổng số câu trả lời: hiện nay {before}, sau khi xác nhận {after}."
IMPACT_ROLLBACK = "Quay về phiên bản {version}? (đang dùng: {active})"
IMPACT_REMOVE = "Xóa {document} khỏi kho văn bản?"
IMPACT_REMOVE_KEPT = "Tệp được giữ trong lịch sử kho; quay về phiên bản trước để lấy lại."
IMPACT_UNLINK = "Bỏ liên kết #{id}: “{text}”?"
IMPACT_UNLINK_LINK = "Câu hỏi này sẽ không còn được trả lời ngay bằng {target}."
IMPACT_UNLINK_OUT = "Câu hỏi này sẽ không còn bị từ chối ngay (đã đánh dấu không thuộc văn bản)."
IMPACT_UNLINK_AFTER = (
    "Sau đó trợ lý tìm câu trả lời như với mọi câu hỏi khác; có thể liên kết lại ở trang Duyệt câu hỏi."
)
IMPACT_NO_VERSION = (
    "Không có phiên bản {version}. /rollback không kèm tên quay về phiên bản trước; danh sách các phiên bản "
    "ở trang Phiên bản của trang quản trị (/web)."
)
IMPACT_ALREADY = "Phiên bản {version} đang được dùng."
IMPACT_NO_DOCUMENT = "Không có văn bản mã {doc_id} trong kho. Xem mã các văn bản bằng /docs (hoặc ở trang Văn bản)."
IMPACT_NO_LINK = "Không có liên kết nào mã {id}. Xem các liên kết bằng /phrasings (hoặc ở trang Duyệt câu hỏi)."

# --- the same question in chat (/rollback, /remove, /unlink): buttons, and what a tap says ---
CONFIRM_ROLLBACK = "✅ Xác nhận quay về"
CONFIRM_REMOVE = "✅ Xác nhận xóa"
CONFIRM_UNLINK = "✅ Xác nhận bỏ liên kết"
CONFIRM_CANCEL = "Hủy"
CONFIRM_CANCELLED = "Đã hủy, không có gì thay đổi."
CONFIRM_NOT_YOURS = "Chỉ người đã ra lệnh mới xác nhận hoặc hủy được lệnh này."
CONFIRM_EXPIRED = "Yêu cầu này đã hết hạn hoặc đã được xử lý. Hãy gõ lại lệnh nếu cần."
ROLLBACK_NO_OLDER = "Không có phiên bản cũ hơn để quay lại."
CLI_ROLLBACK_ASK = "Quay về phiên bản này?"
CLI_ROLLBACK_KEPT = "Đã hủy, vẫn dùng phiên bản {version}."
