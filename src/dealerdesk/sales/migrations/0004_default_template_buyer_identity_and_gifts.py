"""A new version of every store's default contract template that still has the original standard text: the text
now states the buyer's resident ID number and address, the gifts promised with the car and the services agreed, and
says gift substitutions need the buyer's signature (issue #10).

A store that edited its template keeps it as it is (its administrator adds the new placeholders when they choose).
Both texts are copied here: a migration never follows later changes of the code. Reversing removes the version added
here unless a contract was already filled from it (that version is then kept: the contract points at it).
"""

from django.db import migrations
from django.db.models import Max

NOTE = "增加买受人身份证号码、住址、随车赠品与约定服务"

OLD_DEFAULT = """汽车买卖合同

合同编号：{{contract_number}}　　订单编号：{{order_number}}　　签订日期：{{sign_date}}

出卖人（甲方）：{{store_name}}
地址：{{store_address}}　　电话：{{store_phone}}
销售顾问：{{consultant}}
买受人（乙方）：{{customer_name}}　　联系电话：{{customer_mobile}}

甲乙双方根据《中华人民共和国民法典》及相关法律法规，在平等、自愿、诚实信用的基础上，就乙方向甲方购买汽车事宜达成如下协议：

第一条　车辆
车型：{{vehicle}}
车辆识别代号（VIN）/ 订车编号：{{vin}}
外观颜色：{{exterior}}　　内饰颜色：{{interior}}
选装配置：{{options}}

第二条　价款
价格明细：
{{price_lines}}
标价：{{marked_price}}
合同总价：{{total}}（含上述全部项目，此外甲方不收取任何其他费用）

第三条　定金及付款方式
乙方于本合同签订时支付定金 {{deposit}}，余款 {{balance}} 于交车前付清。
付款方式：{{payment_method}}。以贷款方式付款的，贷款未获批准的，双方可协商变更付款方式或依本合同第八条解除合同。

第四条　交付
交车日期：{{delivery_date}}　　交车地点：{{delivery_place}}
甲方交车前完成车辆交付前检查（PDI），乙方当场验收。

第五条　随车文件
甲方交车时向乙方交付：{{documents}}。

第六条　质量保证
{{warranty}}

第七条　违约责任
甲方逾期交车的，每逾期一日按合同总价的万分之五向乙方支付违约金；逾期超过三十日的，乙方有权解除合同，甲方双倍返还定金。
乙方逾期付款或提车的，每逾期一日按未付款项的万分之五向甲方支付违约金；逾期超过三十日的，甲方有权解除合同，定金不予退还。

第八条　合同的解除
本合同签订后，乙方单方解除合同的，定金不予退还；因甲方原因或车辆存在质量问题解除合同的，甲方全额退还乙方已付款项；贷款申请未获批准而解除合同的，甲方全额退还定金。
合同解除须经甲方销售经理确认，定金处理结果书面记录。

第九条　其他
本合同经双方签字（盖章）后生效；对本合同的任何变更均以书面补充协议（合同修订）形式作出，经双方签字后生效。
{{amendment}}
"""

NEW_DEFAULT = """汽车买卖合同

合同编号：{{contract_number}}　　订单编号：{{order_number}}　　签订日期：{{sign_date}}

出卖人（甲方）：{{store_name}}
地址：{{store_address}}　　电话：{{store_phone}}
销售顾问：{{consultant}}
买受人（乙方）：{{customer_name}}　　身份证号码：{{customer_id_number}}
住址：{{customer_address}}　　联系电话：{{customer_mobile}}

甲乙双方根据《中华人民共和国民法典》及相关法律法规，在平等、自愿、诚实信用的基础上，就乙方向甲方购买汽车事宜达成如下协议：

第一条　车辆
车型：{{vehicle}}
车辆识别代号（VIN）/ 订车编号：{{vin}}
外观颜色：{{exterior}}　　内饰颜色：{{interior}}
选装配置：{{options}}

第二条　价款
价格明细：
{{price_lines}}
标价：{{marked_price}}
合同总价：{{total}}（含上述全部项目，此外甲方不收取任何其他费用）
随车赠品（不计价，交车时交付）：{{gifts}}
约定服务（已计入合同总价）：{{services}}

第三条　定金及付款方式
乙方于本合同签订时支付定金 {{deposit}}，余款 {{balance}} 于交车前付清。
付款方式：{{payment_method}}。以贷款方式付款的，贷款未获批准的，双方可协商变更付款方式或依本合同第八条解除合同。

第四条　交付
交车日期：{{delivery_date}}　　交车地点：{{delivery_place}}
甲方交车前完成车辆交付前检查（PDI），乙方当场验收。甲方交车时一并交付上述随车赠品；赠品如需替换，须经乙方在交车确认单上签字同意。

第五条　随车文件
甲方交车时向乙方交付：{{documents}}。

第六条　质量保证
{{warranty}}

第七条　违约责任
甲方逾期交车的，每逾期一日按合同总价的万分之五向乙方支付违约金；逾期超过三十日的，乙方有权解除合同，甲方双倍返还定金。
乙方逾期付款或提车的，每逾期一日按未付款项的万分之五向甲方支付违约金；逾期超过三十日的，甲方有权解除合同，定金不予退还。

第八条　合同的解除
本合同签订后，乙方单方解除合同的，定金不予退还；因甲方原因或车辆存在质量问题解除合同的，甲方全额退还乙方已付款项；贷款申请未获批准而解除合同的，甲方全额退还定金。
合同解除须经甲方销售经理确认，定金处理结果书面记录。

第九条　其他
本合同经双方签字（盖章）后生效；对本合同的任何变更均以书面补充协议（合同修订）形式作出，经双方签字后生效。
{{amendment}}
"""


def _current(template, ContractTemplateVersion):
    return ContractTemplateVersion.objects.filter(template=template).order_by("-number").first()


def add_new_version(apps, schema_editor):
    ContractTemplate = apps.get_model("sales", "ContractTemplate")
    ContractTemplateVersion = apps.get_model("sales", "ContractTemplateVersion")
    for template in ContractTemplate.objects.filter(is_default=True).order_by("pk"):
        current = _current(template, ContractTemplateVersion)
        if current is None or current.body.strip() != OLD_DEFAULT.strip():
            continue
        number = (ContractTemplateVersion.objects.filter(template=template).aggregate(n=Max("number"))["n"] or 0) + 1
        ContractTemplateVersion.objects.create(template=template, number=number, body=NEW_DEFAULT, note=NOTE)


def remove_new_version(apps, schema_editor):
    ContractTemplateVersion = apps.get_model("sales", "ContractTemplateVersion")
    Contract = apps.get_model("sales", "Contract")
    used = set(Contract.objects.values_list("template_version_id", flat=True))
    for version in ContractTemplateVersion.objects.filter(note=NOTE, body=NEW_DEFAULT):
        newest = _current(version.template, ContractTemplateVersion)
        if version.pk not in used and newest is not None and newest.pk == version.pk:
            version.delete()


class Migration(migrations.Migration):
    dependencies = [("sales", "0003_contract_frozen_trigger")]

    operations = [migrations.RunPython(add_new_version, remove_new_version)]
