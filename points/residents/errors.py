"""Refusals of resident registration, bulk import and 亲情代理.

Row errors of an import are not raised one by one: the import collects them, one list per
row, into its report, so the office sees every mistake of the sheet at once. Each carries
the spreadsheet row number (the header is row 1) in its message.
"""
from ledger.errors import DomainError, N_


class ResidentError(DomainError):
    code = "resident_error"


class NameMissingError(ResidentError):
    code = "name_missing"
    message = N_("请填写姓名")


class NameTooLongError(ResidentError):
    code = "name_too_long"
    message = N_("姓名最多 %(limit)s 个字")


class AddressMissingError(ResidentError):
    code = "address_missing"
    message = N_("请填写门牌/户号")


class AddressTooLongError(ResidentError):
    code = "address_too_long"
    message = N_("门牌/户号最多 %(limit)s 个字")


class AddressInOtherGridError(ResidentError):
    code = "address_in_other_grid"
    message = N_("门牌 %(address)s 已登记在“%(grid)s”，请选对网格")


class ConcurrentRegistrationError(ResidentError):
    # Two offices registered the same phone or household at the same moment.
    code = "concurrent_registration"
    message = N_("有人同时登记了相同的手机号或门牌，请核对后再试一次")


# 亲情代理


class ProxyUserNotFoundError(ResidentError):
    code = "proxy_not_found"
    message = N_("本社区没有手机号为 %(phone)s 的居民账号，请先为他登记")


class ProxyIsSelfError(ResidentError):
    code = "proxy_is_self"
    message = N_("不能让居民给自己当代理人")


class ProxyAlreadyGrantedError(ResidentError):
    code = "proxy_already_granted"
    message = N_("%(name)s 已经是这位居民的代理人了")


# Bulk import: the file as a whole


class SheetError(ResidentError):
    code = "sheet_error"


class WrongFileTypeError(SheetError):
    code = "wrong_file_type"
    message = N_("只能上传 Excel 表格（.xlsx）或 CSV 文件")


class OldExcelFileError(SheetError):
    code = "old_excel_file"
    message = N_("这是旧版 Excel 文件（.xls），请在 Excel 里“另存为” .xlsx 后再上传")


class FileTooLargeError(SheetError):
    code = "file_too_large"
    message = N_("文件太大了，最大 %(limit)s")


class EmptySheetError(SheetError):
    code = "sheet_empty"
    message = N_("表格里没有居民数据")


class MissingColumnsError(SheetError):
    code = "sheet_missing_columns"
    message = N_("表格第一行缺少这些列：%(columns)s。第一行应为：姓名、手机号、网格、门牌/户号（备注可不填）")


class TooManyRowsError(SheetError):
    code = "sheet_too_many_rows"
    message = N_("一次最多导入 %(limit)s 人，请把表格分成几份")


class SheetChangedError(SheetError):
    code = "sheet_changed"
    message = N_("核对后有人登记了表格里的手机号或门牌，请重新上传核对")


# Bulk import: one row


class RowError(ResidentError):
    code = "row_error"


class RowNameMissingError(RowError):
    code = "row_name_missing"
    message = N_("第 %(row)s 行：没有填姓名")


class RowNameTooLongError(RowError):
    code = "row_name_too_long"
    message = N_("第 %(row)s 行：姓名最多 %(limit)s 个字")


class RowBadPhoneError(RowError):
    code = "row_bad_phone"
    message = N_("第 %(row)s 行：手机号“%(phone)s”不对，应为 11 位数字，以 1 开头")


class RowDuplicatePhoneError(RowError):
    code = "row_duplicate_phone"
    message = N_("第 %(row)s 行：手机号和第 %(first_row)s 行重复")


class RowPhoneRegisteredError(RowError):
    code = "row_phone_registered"
    message = N_("第 %(row)s 行：手机号 %(phone)s 已经登记过了")


class RowGridMissingError(RowError):
    code = "row_grid_missing"
    message = N_("第 %(row)s 行：没有填网格")


class RowUnknownGridError(RowError):
    code = "row_unknown_grid"
    message = N_("第 %(row)s 行：找不到网格“%(grid)s”（或不归您负责），请核对网格名称")


class RowAddressMissingError(RowError):
    code = "row_address_missing"
    message = N_("第 %(row)s 行：没有填门牌/户号")


class RowAddressTooLongError(RowError):
    code = "row_address_too_long"
    message = N_("第 %(row)s 行：门牌/户号最多 %(limit)s 个字")


class RowAddressInOtherGridError(RowError):
    code = "row_address_in_other_grid"
    message = N_("第 %(row)s 行：门牌 %(address)s 属于“%(grid)s”，和填的网格不一致")
