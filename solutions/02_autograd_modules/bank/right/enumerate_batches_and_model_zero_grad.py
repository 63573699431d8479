def trainer(model, criterion, optimizer, dataloader, epochs=5):
    model.train()
    epoch_losses = []
    for _ in range(epochs):
        batch_losses = []
        for _, (X, y) in enumerate(dataloader):
            model.zero_grad(set_to_none=True)
            loss = criterion(model(X), y)
            loss.backward()
            optimizer.step()
            batch_losses.append(loss.detach())
        epoch_losses.append(torch.stack(batch_losses).double().mean().item())
    return epoch_losses


def count_parameters(model):
    return int(sum(torch.tensor(p.shape).prod() for p in model.parameters() if p.requires_grad))
